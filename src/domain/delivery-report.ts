import { isOurMessageId } from './disposition.ts';
import { normaliseAddress, type MailInput } from './mail.ts';

/**
 * What a delivery status notification says about one of our mails: which mail
 * (by its Message-ID), which recipient, and whether delivery failed for good,
 * is only delayed, or succeeded. Read from the machine part (RFC 3464
 * message/delivery-status) when there is one, else from the human text.
 *
 * Our mails to an organisation carry the request in their Message-ID
 * (`<REQ-7F3K2.3.acknowledgement@our-domain>`), so a DSN that returns the
 * message or its headers (RFC 6522), names it in X-Original-Message-ID, or
 * threads to it (In-Reply-To is never VERP-encoded) leads to the request.
 */

export type DeliveryAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export interface ReportedRecipient {
  /** Original-Recipient: the address we sent to, as the first MTA saw it. */
  original: string | null;
  /** Final-Recipient: where delivery was last tried (may be a forwarding target). */
  final: string | null;
  action: DeliveryAction | null;
  /** Enhanced status code (RFC 3463), e.g. 5.1.1. */
  status: string | null;
  /** Diagnostic-Code, on one line (the remote server's answer). */
  diagnostic: string | null;
}

export interface DeliveryReport {
  /** Message-IDs the report names as the mail it is about, most specific first. */
  messageIds: string[];
  recipients: ReportedRecipient[];
}

/** Failed for good, only delayed, or delivered (nothing to do). */
export type DeliveryOutcome = 'undeliverable' | 'delayed' | 'delivered';

const ACTIONS = new Set<DeliveryAction>(['failed', 'delayed', 'delivered', 'relayed', 'expanded']);

/** RFC 3464 fields: "Name: value" with folded continuation lines, groups separated by blank lines. */
function fieldGroups(text: string): Map<string, string>[] {
  const groups: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let last: string | null = null;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line.trim() === '') {
      if (current.size) groups.push(current);
      current = new Map();
      last = null;
      continue;
    }
    if (/^[ \t]/.test(line) && last) {
      current.set(last, `${current.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const m = /^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    last = (m[1] as string).toLowerCase();
    if (!current.has(last)) current.set(last, (m[2] as string).trim());
  }
  if (current.size) groups.push(current);
  return groups;
}

/** "rfc822; Ana@Example.org" → ana@example.org (other address types are kept as written). */
function addressField(v: string | undefined): string | null {
  if (!v) return null;
  const semi = v.indexOf(';');
  const addr = (semi >= 0 ? v.slice(semi + 1) : v).trim().replace(/^<|>$/g, '');
  return addr ? normaliseAddress(addr) : null;
}

function statusField(v: string | undefined): string | null {
  return /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(v ?? '')?.[1] ?? null;
}

function recipientsFromStatus(text: string): ReportedRecipient[] {
  const out: ReportedRecipient[] = [];
  for (const g of fieldGroups(text)) {
    if (!g.has('final-recipient') && !g.has('original-recipient')) continue;
    const action = (g.get('action') ?? '').toLowerCase().split(/[\s(]/)[0] as DeliveryAction;
    const diagnostic = g.get('diagnostic-code') ?? null;
    out.push({
      original: addressField(g.get('original-recipient')),
      final: addressField(g.get('final-recipient')),
      action: ACTIONS.has(action) ? action : null,
      status: statusField(g.get('status')) ?? statusField(diagnostic ?? undefined),
      diagnostic: diagnostic ? diagnostic.replace(/^[a-z0-9-]+;\s*/i, '').slice(0, 500) : null,
    });
  }
  return out;
}

/** A bounce written for people only (no machine part): its status code and the address next to it, if any. */
function recipientFromText(text: string): ReportedRecipient[] {
  const status = /\b([45]\.\d{1,3}\.\d{1,3})\b/.exec(text);
  if (!status) return [];
  const around = text.slice(Math.max(0, status.index - 300), status.index + 300);
  const addr = /<?([^\s<>"';:,()]+@[^\s<>"';:,()]+\.[a-z]{2,})>?/i.exec(around)?.[1] ?? null;
  const line = text.slice(text.lastIndexOf('\n', status.index) + 1).split('\n')[0]?.trim() ?? '';
  return [
    {
      original: null,
      final: addr ? normaliseAddress(addr) : null,
      action: status[1]?.startsWith('4') ? 'delayed' : 'failed',
      status: status[1] ?? null,
      diagnostic: line.slice(0, 500) || null,
    },
  ];
}

const MESSAGE_ID_LINE = /^(?:x-original-message-id|original-message-id|message-id|x-message-id)[ \t]*:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+>)/gim;

/**
 * Reads a DSN. `body` is the raw message after its own header block (the returned
 * message/rfc822 part is 7bit, 8bit or binary, never encoded: RFC 2046 §5.2.1),
 * where the returned Message-ID is found; the parsed mail gives the machine part
 * and the DSN's own headers.
 */
export function readDeliveryReport(mail: MailInput, body: string): DeliveryReport {
  const ids: string[] = [];
  const add = (id: string | null | undefined): void => {
    const t = id?.trim();
    if (t && /^<[^<>\s]+>$/.test(t) && !ids.includes(t)) ids.push(t);
  };
  for (const m of body.matchAll(MESSAGE_ID_LINE)) add(m[1]);
  for (const v of mail.headers['x-original-message-id'] ?? []) add(/<[^<>\s]+>/.exec(v)?.[0]);
  add(mail.inReplyTo);
  for (const r of [...mail.references].reverse()) add(r);

  const status = mail.attachments.filter((a) => /^message\/(?:global-)?delivery-status/.test(a.contentType));
  let recipients = status.flatMap((a) => recipientsFromStatus(a.text ?? ''));
  if (!recipients.length) recipients = recipientFromText(mail.text);
  return { messageIds: ids, recipients };
}

export function outcomeOf(r: ReportedRecipient): DeliveryOutcome {
  if (r.action === 'failed') return 'undeliverable';
  if (r.action === 'delayed') return 'delayed';
  if (r.action) return 'delivered';
  if (r.status?.startsWith('5')) return 'undeliverable';
  if (r.status?.startsWith('4')) return 'delayed';
  return r.status?.startsWith('2') ? 'delivered' : 'undeliverable';
}

/** One of our mails to an organisation: `<REQ-7F3K2.3.acknowledgement@our-domain>` (a retry's `.again` kept the id). */
export function ourOrganisationMail(id: string, coalitionAddress: string): { requestId: string; mail: string } | null {
  if (!isOurMessageId(id, coalitionAddress)) return null;
  const m = /^<(REQ-[2-9A-Z]{5,8})\.\d+\.([a-z_]+)(?:\.again)*@/i.exec(id.trim());
  return m ? { requestId: (m[1] as string).toUpperCase(), mail: (m[2] as string).toLowerCase() } : null;
}

/** The recipient the report is about for a contact address: that one when named, else the first failing one. */
export function recipientFor(report: DeliveryReport, address: string | null): ReportedRecipient | null {
  const a = address ? normaliseAddress(address) : null;
  return (
    (a ? report.recipients.find((r) => r.original === a || r.final === a) : undefined) ??
    report.recipients.find((r) => outcomeOf(r) !== 'delivered') ??
    report.recipients[0] ??
    null
  );
}

/** "5.1.1 <x@y>: User unknown", one line, for the audit and the coordinators. */
export function describeFailure(r: ReportedRecipient): string {
  const diag = r.diagnostic?.replace(/\s+/g, ' ').trim() ?? '';
  if (r.status && diag.includes(r.status)) return diag;
  return [r.status, diag].filter(Boolean).join(' ') || (r.action ?? 'failed');
}
