import { z } from 'zod';

/** Queue names. Jobs carry ids, not state: handlers re-read the stored record. */
export const QUEUES = {
  /** One job per received message (id derived from Message-ID or the raw bytes' hash). */
  inbound: 'inbound',
  /** One job per outgoing mail (id = the mail's idempotency key). */
  outbound: 'outbound',
  /** Timers of the approval flow: undo windows, reminders, expiry. */
  timers: 'timers',
} as const;

export const InboundJob = z.object({
  /** Dedup key: sha256 of the Message-ID, or of the raw bytes when there is none (hex). */
  key: z.string(),
  mailbox: z.string(),
  uidValidity: z.string(),
  uid: z.number().int(),
  size: z.number().int(),
  receivedAt: z.string(),
  /** Folder the watcher filed the message in. */
  folder: z.string(),
});
export type InboundJob = z.infer<typeof InboundJob>;
