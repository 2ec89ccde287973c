/**
 * A join (or withdrawal) request: its schema (request/schema.ts), the pure
 * state machine that moves it (request/machine.ts, its header draws the
 * states) and duplicate detection (request/duplicates.ts).
 */
export * from './request/schema.ts';
export * from './request/machine.ts';
export * from './request/duplicates.ts';
