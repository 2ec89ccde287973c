/** Moved to src/contracts/queues.ts (the queue names and the inbound job); kept for bench/. */
export { InboundJob, QUEUES } from '../contracts/queues.ts';
