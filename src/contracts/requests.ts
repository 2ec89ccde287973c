import type { Effect, TransitionResult } from '../domain/request.ts';

/**
 * The request store's contract, shared by the use cases (which call it through
 * their RequestStore port) and the Redis adapter (which implements it).
 */

/** The idempotency id of an effect: performing two effects with one id performs one. */
export function effectId(e: Effect): string {
  switch (e.type) {
    case 'send':
      return e.key;
    case 'schedule':
      return e.jobId;
    case 'addSignatory':
    case 'removeSignatory':
      return `${e.type}.${e.requestId}`;
  }
}

/** Who used which reply to decide: a reply counts once. */
export interface TokenUse {
  coordinator: string;
  replyMessageId: string;
  requestId: string;
}

export type UpdateResult =
  | (TransitionResult & { found: true; replay?: false })
  | { found: false }
  | { found: true; replay: true; changed: false };
