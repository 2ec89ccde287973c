import { normaliseAddress } from './mail.ts';

/**
 * How much automatic mail the desk may send, in sliding windows. An outsider
 * can make the desk write (an acknowledgement, a duplicate notice, a warning),
 * and a coordinator's autoresponder can answer the desk; both must end after a
 * few mails, however many messages arrive. Every mail counts against:
 *
 *   rcpt:<address>   each recipient (a coordinator has a cap of its own, larger)
 *   req:<id>         the request it is about
 *   sender:<address> whoever wrote the message that caused it (never a coordinator)
 *   warnings         warnings of forged decisions, all together
 *   all              everything the desk sends
 *
 * A mail over any cap is recorded and never sent: nothing queues it for later,
 * so a flood cannot come back as a burst (Mailman's autoresponse limit and
 * Zammad's per-ticket and per-recipient windows work the same way). The
 * counting itself is the adapter's (src/adapters/smtp/outbox.ts).
 */

export interface Cap {
  limit: number;
  windowMs: number;
}

export interface MailCap extends Cap {
  bucket: string;
}

export interface CapSettings {
  perRecipient: Cap;
  perCoordinator: Cap;
  perRequest: Cap;
  perSender: Cap;
  warnings: Cap;
  total: Cap;
  coordinators: readonly string[];
}

/** What caused a mail: its request, the author of the message it answers, whether it is a forgery warning. */
export interface CapCause {
  requestId?: string | null;
  sender?: string | null;
  warning?: boolean;
}

/** The caps one mail counts against, its recipients first (the adapter treats the first as the mail's own). */
export function capsFor(recipients: readonly string[], cause: CapCause, s: CapSettings): MailCap[] {
  const coordinators = new Set(s.coordinators.map(normaliseAddress));
  const caps: MailCap[] = [];
  for (const r of new Set(recipients.map(normaliseAddress))) {
    caps.push({ bucket: `rcpt:${r}`, ...(coordinators.has(r) ? s.perCoordinator : s.perRecipient) });
  }
  if (cause.requestId) caps.push({ bucket: `req:${cause.requestId.toUpperCase()}`, ...s.perRequest });
  const sender = cause.sender ? normaliseAddress(cause.sender) : '';
  if (sender && !coordinators.has(sender)) caps.push({ bucket: `sender:${sender}`, ...s.perSender });
  if (cause.warning) caps.push({ bucket: 'warnings', ...s.warnings });
  caps.push({ bucket: 'all', ...s.total });
  return caps;
}

/** "10/1d" → { limit: 10, windowMs: 86400000 }, with the duration parser given. */
export function parseCap(value: string, parseDuration: (s: string) => number | null): Cap | null {
  const m = /^\s*(\d+)\s*(?:\/|per)\s*(\S+)\s*$/i.exec(value);
  if (!m) return null;
  const limit = Number(m[1]);
  const windowMs = parseDuration(m[2] as string);
  if (!Number.isInteger(limit) || limit < 1 || windowMs === null || windowMs <= 0) return null;
  return { limit, windowMs };
}
