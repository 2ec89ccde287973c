import { z } from 'zod';
import { normaliseName } from './statement.ts';
import { explain, type Explanation } from './explanation.ts';
import type { Corrections } from './reply-command.ts';
import { normaliseAddress, domainOf } from './mail.ts';

/**
 * A join (or withdrawal) request and the pure state machine that moves it.
 *
 *   unclear ──PO/JOIN (open)──▶ pending            unclear ──JO/NO (close)──▶ not_request
 *
 *   pending ──approve×N / reject──▶ decided_pending_undo ──window passes──▶ approved | rejected
 *      ▲  │                                  │
 *      │  └─INFO─▶ info_requested ─org reply─┘(back to pending)       UNDO ─▶ pending
 *      └──────────────── expiry (REQUEST_TTL) ─▶ expired
 *
 * `unclear` is a possible request: a mail the reader is not sure about, shown
 * to the coordinators and answered to nobody. Opening it makes it an ordinary
 * new request (acknowledgement, approval requests, timers); opening is not an
 * approval. It never expires (a request must not be lost because nobody had
 * time): the coordinators are reminded every REMINDER_AFTER within REQUEST_TTL
 * of its arrival, and it stays listed until someone opens or closes it.
 *
 * `transition()` never does I/O: it returns the next record and the effects
 * (mails, timers, registry changes) as data. The caller stores the record
 * together with its effects in one atomic write (an outbox), then performs
 * them; every effect carries a deterministic id, so performing it twice
 * (after a crash) has no second consequence.
 *
 * Rules:
 *  - the first valid decision wins: once decided, every later decision,
 *    correction or information request gets `already_decided`;
 *  - an approval needs APPROVALS_REQUIRED distinct coordinators; one
 *    rejection suffices;
 *  - a decision acts after UNDO_WINDOW (0 = at once); UNDO from any
 *    coordinator within the window returns the request to pending;
 *  - a reply (Message-ID) is applied at most once per request (replays).
 */

export const REQUEST_STATUSES = [
  'unclear',
  'pending',
  'info_requested',
  'decided_pending_undo',
  'approved',
  'rejected',
  'expired',
  'not_request',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
/** Statuses a decision acts on. An `unclear` request is not among them: it must be opened first. */
export const OPEN_STATUSES: readonly RequestStatus[] = ['pending', 'info_requested'];
export const FINAL_STATUSES: readonly RequestStatus[] = ['approved', 'rejected', 'expired', 'not_request'];

/** Why a mail is only a possible request (the reader's `possibleReason`). */
export const POSSIBLE_REASONS = ['weak_wording', 'no_organisation', 'sent_by_machine'] as const;
export type PossibleReason = (typeof POSSIBLE_REASONS)[number];

/**
 * Mails about a possible request carry a token whose nonce starts with "p": a PO in
 * reply to one of them opens the request, and is never counted as an approval, even
 * when another coordinator opened it meanwhile.
 */
export function isPossibleNonce(nonce: string): boolean {
  return /^p\d+$/.test(nonce);
}

/** How a missing field is asked for in an acknowledgement, in the organisation's language. */
export const MISSING_LABELS: Record<string, { sq: string; en: string }> = {
  'organization.name': { sq: 'emri i organizatës', en: "your organisation's name" },
  'contact.name': { sq: 'emri i personit të kontaktit', en: 'the name of a contact person' },
  'contact.email': { sq: 'adresa email e kontaktit', en: 'a contact email address' },
  'organization.city': { sq: 'qyteti ku vepron organizata', en: 'the city where you work' },
};

export function missingLabel(field: string, lang: 'sq' | 'en'): string {
  return MISSING_LABELS[field]?.[lang] ?? field;
}

const nullableString = z.string().nullable();

export const OrganizationSchema = z.object({
  name: nullableString,
  acronym: nullableString,
  city: nullableString,
  website: nullableString,
});
export type Organization = z.infer<typeof OrganizationSchema>;

export const ContactSchema = z.object({ name: nullableString, email: nullableString, phone: nullableString });
export type Contact = z.infer<typeof ContactSchema>;

export const AuditEntrySchema = z.object({
  at: z.string(),
  /** received, acknowledged, approval_requested, approved, rejected, undone, info_requested, corrected, updated, reminded, expired, applied, mail_sent, ignored… */
  event: z.string(),
  by: z.string().nullable().default(null),
  /** Message-ID of the mail that caused it, or 'cli', or 'timer'. */
  via: z.string().nullable().default(null),
  detail: z.string().nullable().default(null),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const DecisionSchema = z.object({
  outcome: z.enum(['approve', 'reject']),
  by: z.array(z.string()),
  at: z.string(),
  via: z.string().nullable(),
  reason: z.string().nullable(),
  shareReason: z.boolean(),
  /** When it takes effect (end of the undo window). */
  effectiveAt: z.string(),
  /** Sequence number; the undo timer carries it so a stale timer does nothing. */
  seq: z.number().int(),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const RequestRecordSchema = z.object({
  id: z.string(),
  kind: z.enum(['join', 'withdrawal']),
  status: z.enum(REQUEST_STATUSES),
  organization: OrganizationSchema,
  contact: ContactSchema.nullable(),
  /** Where mail to the organisation goes. */
  replyAddress: z.string(),
  /** The sender's From address (replies from it, or its domain, may update the request). */
  senderAddress: z.string(),
  language: z.enum(['sq', 'en']),
  originalMessageId: z.string().nullable(),
  /** Spool key of the received message (to attach the original when effects are performed after a restart). */
  sourceKey: z.string().nullable().default(null),
  /** Thread of the organisation's mail, for In-Reply-To/References of our answers. */
  references: z.array(z.string()),
  originalSubject: z.string(),
  excerpt: z.string(),
  missing: z.array(z.string()),
  /** Withdrawal: the signatory that asks to leave. */
  signatoryId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.string(),
  approvals: z.array(z.object({ by: z.string(), at: z.string(), via: z.string().nullable() })),
  decision: DecisionSchema.nullable(),
  /** Result of applying an approval (registry position / statement version). */
  outcome: z.object({ position: z.number().int().nullable(), version: z.number().int().nullable() }).nullable(),
  /** Message-IDs of replies already applied to this request (replay guard). */
  handled: z.array(z.string()),
  reminders: z.number().int(),
  /** Set when the request began as a possible request (status `unclear`). */
  possible: z
    .object({
      reason: z.enum(POSSIBLE_REASONS),
      /** Sent by a machine (RFC 3834): its From is never answered, only the contact it names. */
      automatic: z.boolean(),
      /** Who opened or closed it; null while it is unclear. */
      resolution: z
        .object({
          outcome: z.enum(['opened', 'closed']),
          by: z.string(),
          at: z.string(),
          via: z.string().nullable(),
          /** A closing coordinator's words, kept among coordinators. */
          reason: z.string().nullable(),
        })
        .nullable(),
    })
    .nullable()
    .default(null),
  /** Counter that makes effect ids unique and deterministic. */
  seq: z.number().int(),
  audit: z.array(AuditEntrySchema),
});
export type RequestRecord = z.infer<typeof RequestRecordSchema>;

// ---------------------------------------------------------------- effects

export type CoordinatorTemplate =
  | 'possible_request'
  | 'approval_request'
  | 'withdrawal_approval_request'
  | 'decision_echo'
  | 'reminder'
  | 'request_updated'
  | 'already_decided'
  | 'reply_help'
  | 'undone';
export type OrganisationTemplate =
  | 'acknowledgement'
  | 'withdrawal_received'
  | 'info_request'
  | 'rejected'
  | 'expired'
  | 'approved'
  | 'withdrawal_confirmed';

export interface SendEffect {
  type: 'send';
  /** Idempotency key (letters, digits, . _ -): the outbound job id. */
  key: string;
  template: CoordinatorTemplate | OrganisationTemplate;
  to: string[];
  /** 'org': the request's language; 'coordinators': DEFAULT_LANGUAGE. */
  audience: 'org' | 'coordinators';
  vars: Record<string, unknown>;
  inReplyTo: string | null;
  references: string[];
  autoSubmitted: 'auto-replied' | 'auto-generated';
  /** Put an approval token for this coordinator in the Message-ID (nonce = unique per mail). */
  token: { coordinator: string; nonce: string } | null;
  /** Attach the organisation's original message (approval requests). */
  attachOriginal: boolean;
}

export interface TimerEffect {
  type: 'schedule';
  timer: 'finalize' | 'reminder' | 'expiry';
  /** Deterministic BullMQ job id. */
  jobId: string;
  at: string;
  seq: number;
}

/**
 * Add the organisation to the registry (idempotent by request id), then send `confirm` with position/version
 * filled in; null when nobody can be written to (a possible request opened without a contact address).
 */
export interface AddSignatoryEffect {
  type: 'addSignatory';
  requestId: string;
  organization: Organization;
  contactEmail: string | null;
  approvedBy: string[];
  confirm: SendEffect | null;
}

export interface RemoveSignatoryEffect {
  type: 'removeSignatory';
  requestId: string;
  signatoryId: string;
  approvedBy: string[];
  confirm: SendEffect;
}

export type Effect = SendEffect | TimerEffect | AddSignatoryEffect | RemoveSignatoryEffect;

// ---------------------------------------------------------------- events

export interface FlowSettings {
  coordinators: readonly string[];
  approvalsRequired: number;
  undoWindowMs: number;
  reminderAfterMs: number;
  requestTtlMs: number;
}

export interface Ctx {
  now: Date;
  settings: FlowSettings;
}

export type FlowEvent =
  | {
      type: 'decide';
      by: string;
      decision: 'approve' | 'reject';
      reason?: string | null;
      shareReason?: boolean;
      corrections?: Corrections;
      via: string;
    }
  | { type: 'undo'; by: string; via: string }
  | { type: 'info'; by: string; question: string; via: string }
  | { type: 'correct'; by: string; corrections: Corrections; via: string }
  | { type: 'unclear'; by: string; problem: Explanation; via: string }
  /** A possible request is a join request: it becomes pending (corrections applied first). */
  | { type: 'open'; by: string; corrections?: Corrections; via: string }
  /** A possible request is not a request: nothing is sent to its sender. */
  | { type: 'close'; by: string; reason?: string | null; via: string }
  | { type: 'org_reply'; from: string; organization: Partial<Organization>; via: string }
  | { type: 'timer'; timer: 'finalize' | 'reminder' | 'expiry'; seq: number }
  /** The registry change of an approval was made (records the outcome). */
  | { type: 'applied'; position: number | null; version: number | null };

export interface TransitionResult {
  request: RequestRecord;
  effects: Effect[];
  /** False when the event changed nothing (replay, stale timer). */
  changed: boolean;
}

export interface NewRequestInput {
  id: string;
  kind: 'join' | 'withdrawal';
  organization: Organization;
  contact: Contact | null;
  replyAddress: string;
  senderAddress: string;
  language: 'sq' | 'en';
  originalMessageId: string | null;
  sourceKey?: string | null;
  references: string[];
  originalSubject: string;
  excerpt: string;
  missing: string[];
  signatoryId?: string | null;
  receivedAt: Date;
}

export interface PossibleRequestInput extends Omit<NewRequestInput, 'kind' | 'signatoryId' | 'replyAddress'> {
  /** Who the acknowledgement goes to once opened; null when the mail names no address a person reads. */
  replyAddress: string | null;
  reason: PossibleReason;
  automatic: boolean;
  /** What the desk already knows that looks like it ("signatory 3. …", "pending REQ-…"), for the coordinators. */
  resembles?: string | null;
}

// ---------------------------------------------------------------- helpers

/** For effect ids: ana@coord.example.org -> ana-coord-example-org. */
export function addressTag(address: string): string {
  return normaliseAddress(address)
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
}

function orgName(r: RequestRecord): string {
  return r.organization.name ?? r.organization.acronym ?? r.senderAddress;
}

function iso(d: Date): string {
  return d.toISOString();
}

function formatWindow(ms: number): string {
  if (ms <= 0) return '';
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

class Builder {
  readonly effects: Effect[] = [];
  constructor(
    public r: RequestRecord,
    readonly ctx: Ctx,
  ) {}

  audit(event: string, o: { by?: string | null; via?: string | null; detail?: string | null } = {}): void {
    this.r.audit.push({ at: iso(this.ctx.now), event, by: o.by ?? null, via: o.via ?? null, detail: o.detail ?? null });
  }

  nextSeq(): number {
    this.r.seq += 1;
    return this.r.seq;
  }

  private orgThread(): { inReplyTo: string | null; references: string[] } {
    const refs = [...this.r.references];
    if (this.r.originalMessageId && !refs.includes(this.r.originalMessageId)) refs.push(this.r.originalMessageId);
    return { inReplyTo: this.r.originalMessageId, references: refs.slice(-20) };
  }

  /** Null when the request has no address to write to (a possible request sent by a machine, naming no one). */
  orgMail(
    template: OrganisationTemplate,
    vars: Record<string, unknown>,
    autoSubmitted: SendEffect['autoSubmitted'],
  ): SendEffect | null {
    if (!this.r.replyAddress) return null;
    const seq = this.nextSeq();
    return {
      type: 'send',
      key: `${this.r.id}.${seq}.${template}`,
      template,
      to: [this.r.replyAddress],
      audience: 'org',
      vars,
      ...this.orgThread(),
      autoSubmitted,
      token: null,
      attachOriginal: false,
    };
  }

  sendOrg(
    template: OrganisationTemplate,
    vars: Record<string, unknown>,
    autoSubmitted: SendEffect['autoSubmitted'] = 'auto-generated',
  ): void {
    const mail = this.orgMail(template, vars, autoSubmitted);
    if (!mail) {
      this.audit('mail_not_sent', { detail: `${template}: the request has no address to write to` });
      return;
    }
    this.effects.push(mail);
    this.audit('mail_queued', { detail: `${template} to ${this.r.replyAddress}` });
  }

  /**
   * One mail per coordinator, each with its own token in the Message-ID; `possible` marks the token
   * as one of a possible-request mail (see isPossibleNonce).
   */
  sendCoordinators(
    template: CoordinatorTemplate,
    vars: (coordinator: string) => Record<string, unknown>,
    o: { only?: readonly string[]; attachOriginal?: boolean; possible?: boolean } = {},
  ): void {
    const seq = this.nextSeq();
    const recipients = (o.only ?? this.ctx.settings.coordinators).map(normaliseAddress);
    for (const c of recipients) {
      this.effects.push({
        type: 'send',
        key: `${this.r.id}.${seq}.${template}.${addressTag(c)}`,
        template,
        to: [c],
        audience: 'coordinators',
        vars: vars(c),
        inReplyTo: null,
        references: [],
        autoSubmitted: 'auto-generated',
        token: { coordinator: c, nonce: `${o.possible ? 'p' : 'm'}${seq}` },
        attachOriginal: o.attachOriginal ?? false,
      });
    }
    this.audit('mail_queued', { detail: `${template} to ${recipients.join(', ')}` });
  }

  schedule(timer: TimerEffect['timer'], at: Date, seq: number): void {
    this.effects.push({ type: 'schedule', timer, jobId: `${this.r.id}.${timer}.${seq}`, at: iso(at), seq });
  }
}

// ---------------------------------------------------------------- creation

function newRecord(
  input: Omit<NewRequestInput, 'replyAddress'> & { replyAddress: string | null },
  status: RequestStatus,
  ctx: Ctx,
): RequestRecord {
  const now = ctx.now;
  return {
    id: input.id,
    kind: input.kind,
    status,
    organization: input.organization,
    contact: input.contact,
    replyAddress: input.replyAddress ? normaliseAddress(input.replyAddress) : '',
    senderAddress: normaliseAddress(input.senderAddress),
    language: input.language,
    originalMessageId: input.originalMessageId,
    sourceKey: input.sourceKey ?? null,
    references: input.references.slice(-20),
    originalSubject: input.originalSubject,
    excerpt: input.excerpt,
    missing: input.missing,
    signatoryId: input.signatoryId ?? null,
    createdAt: iso(input.receivedAt),
    updatedAt: iso(now),
    expiresAt: iso(new Date(now.getTime() + ctx.settings.requestTtlMs)),
    approvals: [],
    decision: null,
    outcome: null,
    handled: input.originalMessageId ? [input.originalMessageId] : [],
    reminders: 0,
    possible: null,
    seq: 0,
    audit: [],
  };
}

/** The acknowledgement of a join request, to the organisation. */
function acknowledge(b: Builder, autoSubmitted: SendEffect['autoSubmitted']): void {
  const r = b.r;
  b.sendOrg(
    'acknowledgement',
    {
      reference: r.id,
      organizationName: r.organization.name,
      contactName: r.contact?.name ?? null,
      missing: r.missing,
    },
    autoSubmitted,
  );
  if (r.replyAddress) b.audit('acknowledged');
}

/** The approval request of a join request, to every coordinator, with the original attached. */
function requestApproval(b: Builder, openedBy: string | null): void {
  const r = b.r;
  const { settings } = b.ctx;
  const undoWindow = formatWindow(settings.undoWindowMs);
  b.sendCoordinators(
    'approval_request',
    (c) => ({
      reference: r.id,
      coordinatorAddress: c,
      organization: r.organization,
      contact: r.contact ?? { name: null, email: r.replyAddress || null, phone: null },
      language: r.language,
      receivedAt: r.createdAt,
      originalSubject: r.originalSubject,
      excerpt: r.excerpt,
      missing: r.missing,
      approvalsRequired: settings.approvalsRequired,
      undoWindow,
      openedBy,
    }),
    { attachOriginal: true },
  );
  b.audit('approval_requested', { detail: settings.coordinators.join(', ') });
}

/** The first reminder (sequence `seq`) and the expiry of a pending request. */
function scheduleTimers(b: Builder, seq: number): void {
  const { settings, now } = b.ctx;
  if (settings.reminderAfterMs > 0 && settings.reminderAfterMs < settings.requestTtlMs) {
    b.schedule('reminder', new Date(now.getTime() + settings.reminderAfterMs), seq);
  }
  b.schedule('expiry', new Date(b.r.expiresAt), 0);
}

/** A new request: acknowledgement to the organisation, approval request to every coordinator, reminder and expiry timers. */
export function createRequest(input: NewRequestInput, ctx: Ctx): TransitionResult {
  const r = newRecord(input, 'pending', ctx);
  const b = new Builder(r, ctx);
  b.audit('received', { via: input.originalMessageId, detail: `${input.kind} request from ${r.senderAddress}` });
  if (input.kind === 'join') {
    acknowledge(b, 'auto-replied');
    requestApproval(b, null);
  } else {
    const name = orgName(r);
    b.sendOrg('withdrawal_received', { reference: r.id, organizationName: name }, 'auto-replied');
    b.audit('acknowledged');
    b.sendCoordinators(
      'withdrawal_approval_request',
      () => ({
        reference: r.id,
        organizationName: name,
        contact: r.contact ?? { name: null, email: r.replyAddress, phone: null },
        excerpt: r.excerpt,
        undoWindow: formatWindow(ctx.settings.undoWindowMs),
      }),
      { attachOriginal: true },
    );
    b.audit('approval_requested', { detail: ctx.settings.coordinators.join(', ') });
  }
  scheduleTimers(b, 1);
  return { request: r, effects: b.effects, changed: true };
}

/** The possible-request mail to coordinators (also its reminders: `waitingDays` set). */
function showPossible(
  b: Builder,
  o: { resembles: string | null; waitingDays: number | null; only?: readonly string[] },
): void {
  const r = b.r;
  const p = r.possible;
  if (!p) return;
  b.sendCoordinators(
    'possible_request',
    (c) => ({
      reference: r.id,
      coordinatorAddress: c,
      reason: p.reason,
      automatic: p.automatic,
      organization: r.organization,
      contact: r.contact ?? { name: null, email: null, phone: null },
      acknowledgeTo: r.replyAddress || null,
      language: r.language,
      receivedAt: r.createdAt,
      from: r.senderAddress,
      originalSubject: r.originalSubject,
      excerpt: r.excerpt,
      resembles: o.resembles,
      reminder: o.waitingDays !== null,
      waitingDays: o.waitingDays ?? 0,
    }),
    { attachOriginal: true, possible: true, ...(o.only ? { only: o.only } : {}) },
  );
}

/**
 * A possible request: stored as `unclear`, shown to every coordinator (their own token, the original
 * attached), answered to nobody. Reminders within REQUEST_TTL; no expiry.
 */
export function createPossibleRequest(input: PossibleRequestInput, ctx: Ctx): TransitionResult {
  const r = newRecord({ ...input, kind: 'join' }, 'unclear', ctx);
  r.possible = { reason: input.reason, automatic: input.automatic, resolution: null };
  const b = new Builder(r, ctx);
  b.audit('received', {
    via: input.originalMessageId,
    detail: `possible request (${input.reason}) from ${r.senderAddress}${input.automatic ? ', sent by a machine' : ''}`,
  });
  showPossible(b, { resembles: input.resembles ?? null, waitingDays: null });
  b.audit('shown_to_coordinators', { detail: ctx.settings.coordinators.join(', ') });
  const { settings, now } = ctx;
  if (settings.reminderAfterMs > 0 && settings.reminderAfterMs < settings.requestTtlMs) {
    b.schedule('reminder', new Date(now.getTime() + settings.reminderAfterMs), 1);
  }
  return { request: r, effects: b.effects, changed: true };
}

// ---------------------------------------------------------------- transitions

function decisionWord(r: RequestRecord): 'approve' | 'reject' | 'expire' | 'withdraw' | 'close' {
  if (r.status === 'not_request') return 'close';
  if (r.status === 'expired') return 'expire';
  if (r.decision?.outcome === 'reject') return 'reject';
  return r.kind === 'withdrawal' ? 'withdraw' : 'approve';
}

function alreadyDecided(b: Builder, by: string, via: string): void {
  const r = b.r;
  b.sendCoordinators(
    'already_decided',
    () => ({
      reference: r.id,
      organizationName: orgName(r),
      decision: decisionWord(r),
      by: r.decision?.by.join(', ') || r.possible?.resolution?.by || 'coalition',
      at: r.decision?.at ?? r.possible?.resolution?.at ?? r.updatedAt,
    }),
    { only: [by] },
  );
  b.audit('ignored', { by, via, detail: `late reply: already ${r.status}` });
}

function applyCorrections(r: RequestRecord, c: Corrections): { field: string; value: string }[] {
  const changes: { field: string; value: string }[] = [];
  for (const field of ['name', 'acronym', 'city', 'website'] as const) {
    const v = c[field];
    if (v !== undefined && v !== r.organization[field]) {
      r.organization[field] = v;
      changes.push({ field, value: v });
    }
  }
  // `missing` holds what the acknowledgement asks for, as written to the organisation (its labels, in
  // either language); older records may hold the field's key. A field given is asked for no longer.
  for (const { field } of changes) {
    const key = `organization.${field}`;
    const labels: string[] = Object.values(MISSING_LABELS[key] ?? {});
    r.missing = r.missing.filter(
      (m) => m !== field && m !== key && !labels.includes(m) && !(field === 'name' && m === 'organization'),
    );
  }
  return changes;
}

function finalize(b: Builder): void {
  const r = b.r;
  const d = r.decision;
  if (!d) return;
  const name = orgName(r);
  if (d.outcome === 'approve') {
    r.status = 'approved';
    b.audit(r.kind === 'join' ? 'approved' : 'withdrawal_approved', { by: d.by.join(', '), via: d.via });
    if (r.kind === 'join') {
      const confirm = b.orgMail('approved', { reference: r.id, organizationName: name }, 'auto-generated');
      b.effects.push({
        type: 'addSignatory',
        requestId: r.id,
        organization: r.organization,
        contactEmail: r.replyAddress || null,
        approvedBy: d.by,
        confirm,
      });
      if (confirm) b.audit('mail_queued', { detail: `approved to ${r.replyAddress} (after the registry change)` });
      else b.audit('mail_not_sent', { detail: 'approved: the request has no address to write to' });
    } else {
      // A withdrawal always has the signatory's registered address.
      const confirm = b.orgMail('withdrawal_confirmed', { organizationName: name }, 'auto-generated');
      b.effects.push({
        type: 'removeSignatory',
        requestId: r.id,
        signatoryId: r.signatoryId ?? '',
        approvedBy: d.by,
        confirm: confirm as SendEffect,
      });
      b.audit('mail_queued', { detail: `withdrawal_confirmed to ${r.replyAddress} (after the registry change)` });
    }
  } else {
    r.status = 'rejected';
    b.audit('rejected', {
      by: d.by.join(', '),
      via: d.via,
      detail: d.reason ? `${d.shareReason ? 'shared' : 'internal'} reason: ${d.reason}` : null,
    });
    b.sendOrg('rejected', { reference: r.id, organizationName: name, reason: d.shareReason ? d.reason : null });
  }
}

function decide(b: Builder, e: Extract<FlowEvent, { type: 'decide' }>): void {
  const r = b.r;
  const { settings, now } = b.ctx;
  const by = normaliseAddress(e.by);
  // Checked here too, not only in coordinator-auth and the CLI: whoever calls the state machine, only a
  // listed coordinator decides. Nobody else is written to.
  if (!settings.coordinators.some((c) => normaliseAddress(c) === by)) {
    b.audit('ignored', { by, via: e.via, detail: 'not a coordinator: only COORDINATORS decide' });
    return;
  }
  // On a possible request PO opens and JO closes: neither decides on membership.
  if (r.status === 'unclear') {
    if (e.decision === 'approve')
      return open(b, { type: 'open', by, via: e.via, ...(e.corrections ? { corrections: e.corrections } : {}) });
    return close(b, { type: 'close', by, reason: e.reason ?? null, via: e.via });
  }
  if (!OPEN_STATUSES.includes(r.status)) return alreadyDecided(b, by, e.via);

  if (e.corrections && e.decision === 'approve') {
    const changes = applyCorrections(r, e.corrections);
    if (changes.length)
      b.audit('corrected', { by, via: e.via, detail: changes.map((c) => `${c.field}=${c.value}`).join('; ') });
  }
  if (e.decision === 'approve' && r.kind === 'join' && !r.organization.name?.trim() && !r.organization.acronym?.trim()) {
    // The statement lists organisations: never the sender's e-mail address in place of a name.
    b.sendCoordinators(
      'reply_help',
      () => ({
        reference: r.id,
        problem: explain(
          'kjo kërkesë nuk ka emër organizate: për ta miratuar, shkruani PO dhe në rreshtin tjetër Emri: emri i organizatës',
          "this request has no organisation name: to approve it, write PO and, on the next line, Name: the organisation's name",
        ),
      }),
      { only: [by] },
    );
    b.audit('ignored', { by, via: e.via, detail: 'approval of an organisation without a name' });
    return;
  }
  const name = orgName(r);
  let outcome: 'approve' | 'reject';
  if (e.decision === 'approve') {
    if (r.approvals.some((a) => a.by === by)) {
      b.audit('ignored', { by, via: e.via, detail: 'this coordinator already approved' });
      return;
    }
    r.approvals.push({ by, at: iso(now), via: e.via });
    b.audit('approval', { by, via: e.via, detail: `${r.approvals.length} of ${settings.approvalsRequired}` });
    if (r.approvals.length < settings.approvalsRequired) {
      b.sendCoordinators('decision_echo', () => ({
        reference: r.id,
        organizationName: name,
        decision: 'approve',
        by,
        reason: null,
        undoDeadline: null,
        approvalsSoFar: r.approvals.length,
        approvalsRequired: settings.approvalsRequired,
      }));
      return;
    }
    outcome = 'approve';
  } else {
    outcome = 'reject';
  }
  const seq = b.nextSeq();
  const effectiveAt = new Date(now.getTime() + settings.undoWindowMs);
  r.decision = {
    outcome,
    by: outcome === 'approve' ? r.approvals.map((a) => a.by) : [by],
    at: iso(now),
    via: e.via,
    reason: outcome === 'reject' ? (e.reason ?? null) : null,
    shareReason: outcome === 'reject' ? Boolean(e.shareReason && e.reason) : false,
    effectiveAt: iso(effectiveAt),
    seq,
  };
  b.audit(outcome === 'approve' ? 'decided_approve' : 'decided_reject', {
    by,
    via: e.via,
    detail: settings.undoWindowMs > 0 ? `takes effect at ${iso(effectiveAt)} unless undone` : 'takes effect now',
  });
  b.sendCoordinators('decision_echo', () => ({
    reference: r.id,
    organizationName: name,
    decision: outcome,
    by,
    reason: r.decision?.reason ?? null,
    undoDeadline: settings.undoWindowMs > 0 ? iso(effectiveAt) : null,
    approvalsSoFar: r.approvals.length,
    approvalsRequired: settings.approvalsRequired,
  }));
  if (settings.undoWindowMs > 0) {
    r.status = 'decided_pending_undo';
    b.schedule('finalize', effectiveAt, seq);
  } else {
    finalize(b);
  }
}

function undo(b: Builder, e: Extract<FlowEvent, { type: 'undo' }>): void {
  const r = b.r;
  const by = normaliseAddress(e.by);
  if (r.status === 'unclear') return openFirst(b, by, e.via, 'UNDO');
  if (r.status === 'decided_pending_undo') {
    const was = r.decision;
    r.status = 'pending';
    r.decision = null;
    r.approvals = [];
    b.audit('undone', { by, via: e.via, detail: was ? `${was.outcome} by ${was.by.join(', ')} cancelled` : null });
    b.sendCoordinators('undone', () => ({ reference: r.id, organizationName: orgName(r), by }));
    // Its expiry timer fired while the decision was pending and did nothing: a request
    // undone after its time is up expires now, instead of staying open for ever.
    if (b.ctx.now >= new Date(r.expiresAt)) expire(b, e.via);
    return;
  }
  if (OPEN_STATUSES.includes(r.status) && r.approvals.some((a) => a.by === by)) {
    r.approvals = r.approvals.filter((a) => a.by !== by);
    b.audit('undone', { by, via: e.via, detail: 'own approval withdrawn' });
    b.sendCoordinators('undone', () => ({ reference: r.id, organizationName: orgName(r), by }));
    return;
  }
  if (OPEN_STATUSES.includes(r.status)) {
    b.sendCoordinators(
      'reply_help',
      () => ({
        reference: r.id,
        problem: explain('ANULO: kjo kërkesë nuk ka vendim për të anuluar', 'UNDO: there is no decision to undo on this request'),
      }),
      {
        only: [by],
      },
    );
    b.audit('ignored', { by, via: e.via, detail: 'UNDO with nothing to undo' });
    return;
  }
  alreadyDecided(b, by, e.via);
}

function info(b: Builder, e: Extract<FlowEvent, { type: 'info' }>): void {
  const r = b.r;
  const by = normaliseAddress(e.by);
  // Nobody is written to about a possible request before a coordinator opens it.
  if (r.status === 'unclear') return openFirst(b, by, e.via, 'INFO');
  if (!OPEN_STATUSES.includes(r.status)) return alreadyDecided(b, by, e.via);
  r.status = 'info_requested';
  b.audit('info_requested', { by, via: e.via, detail: e.question });
  b.sendOrg('info_request', { reference: r.id, organizationName: orgName(r), question: e.question });
  b.sendCoordinators('decision_echo', () => ({
    reference: r.id,
    organizationName: orgName(r),
    decision: 'info',
    by,
    reason: e.question,
    undoDeadline: null,
    approvalsSoFar: r.approvals.length,
    approvalsRequired: b.ctx.settings.approvalsRequired,
  }));
}

function correct(b: Builder, e: Extract<FlowEvent, { type: 'correct' }>): void {
  const r = b.r;
  const by = normaliseAddress(e.by);
  if (r.status !== 'unclear' && !OPEN_STATUSES.includes(r.status)) return alreadyDecided(b, by, e.via);
  const changes = applyCorrections(r, e.corrections);
  if (!changes.length) {
    b.audit('ignored', { by, via: e.via, detail: 'correction changes nothing' });
    return;
  }
  b.audit('corrected', { by, via: e.via, detail: changes.map((c) => `${c.field}=${c.value}`).join('; ') });
  b.sendCoordinators('request_updated', () => ({ reference: r.id, organizationName: orgName(r), changes }), {
    possible: r.status === 'unclear',
  });
}

function orgReply(b: Builder, e: Extract<FlowEvent, { type: 'org_reply' }>): void {
  const r = b.r;
  if (!OPEN_STATUSES.includes(r.status)) {
    b.audit('ignored', { by: e.from, via: e.via, detail: `organisation wrote after the request was ${r.status}` });
    return;
  }
  const update: Corrections = {};
  for (const f of ['name', 'acronym', 'city', 'website'] as const) {
    const v = e.organization[f];
    if (v) update[f] = v;
  }
  const changes = applyCorrections(r, update);
  r.missing = r.missing.filter((m) => !(m in update) && !(m === 'organization' && update.name));
  const wasWaiting = r.status === 'info_requested';
  r.status = 'pending';
  b.audit('updated', {
    by: e.from,
    via: e.via,
    detail: changes.length ? changes.map((c) => `${c.field}=${c.value}`).join('; ') : 'reply without new fields',
  });
  if (changes.length || wasWaiting) {
    const shown = changes.length ? changes : [{ field: 'reply', value: 'the organisation answered (see the mailbox)' }];
    b.sendCoordinators('request_updated', () => ({ reference: r.id, organizationName: orgName(r), changes: shown }));
  }
}

function timer(b: Builder, e: Extract<FlowEvent, { type: 'timer' }>): boolean {
  const r = b.r;
  const { settings, now } = b.ctx;
  if (e.timer === 'finalize') {
    if (r.status !== 'decided_pending_undo' || r.decision?.seq !== e.seq) return false;
    finalize(b);
    return true;
  }
  if (e.timer === 'reminder' && r.status === 'unclear') {
    // The possible-request mail again, with a fresh token: answering it is all a coordinator has to do.
    if (e.seq !== r.reminders + 1) return false;
    r.reminders = e.seq;
    const days = Math.floor((now.getTime() - new Date(r.createdAt).getTime()) / 86_400_000);
    showPossible(b, { resembles: null, waitingDays: days });
    b.audit('reminded', { via: 'timer', detail: `possible request, reminder ${e.seq}` });
    const next = new Date(now.getTime() + settings.reminderAfterMs);
    if (settings.reminderAfterMs > 0 && next < new Date(r.expiresAt)) b.schedule('reminder', next, e.seq + 1);
    return true;
  }
  if (e.timer === 'reminder') {
    if (!OPEN_STATUSES.includes(r.status) || e.seq !== r.reminders + 1) return false;
    r.reminders = e.seq;
    const waiting = settings.coordinators.map(normaliseAddress).filter((c) => !r.approvals.some((a) => a.by === c));
    const days = Math.floor((now.getTime() - new Date(r.createdAt).getTime()) / 86_400_000);
    b.sendCoordinators(
      'reminder',
      () => ({ reference: r.id, organizationName: orgName(r), pendingSince: r.createdAt, pendingDays: days }),
      {
        only: waiting,
      },
    );
    b.audit('reminded', { via: 'timer', detail: `reminder ${e.seq}` });
    const next = new Date(now.getTime() + settings.reminderAfterMs);
    if (settings.reminderAfterMs > 0 && next < new Date(r.expiresAt)) b.schedule('reminder', next, e.seq + 1);
    return true;
  }
  // expiry
  if (!OPEN_STATUSES.includes(r.status)) return false;
  if (now < new Date(r.expiresAt)) return false;
  expire(b, 'timer');
  return true;
}

function expire(b: Builder, via: string): void {
  const r = b.r;
  r.status = 'expired';
  b.audit('expired', { via });
  b.sendOrg('expired', { reference: r.id, organizationName: orgName(r) });
}

// ---------------------------------------------------------------- possible requests

/** A reply that only a possible request understands, to one that is not (or no longer) unclear. */
function notUnclear(b: Builder, by: string, via: string, word: 'open' | 'close'): void {
  const r = b.r;
  if (!OPEN_STATUSES.includes(r.status) && r.status !== 'decided_pending_undo') return alreadyDecided(b, by, via);
  const res = r.possible?.resolution;
  if (res) {
    b.sendCoordinators(
      'already_decided',
      () => ({ reference: r.id, organizationName: orgName(r), decision: 'open', by: res.by, at: res.at }),
      { only: [by] },
    );
    b.audit('ignored', { by, via, detail: `possible request already opened by ${res.by}` });
    return;
  }
  b.sendCoordinators(
    'reply_help',
    () => ({
      reference: r.id,
      problem:
        word === 'open'
          ? explain(
              'JOIN hap një kërkesë të mundshme; kjo është tashmë kërkesë për anëtarësim: për ta miratuar, shkruani PO',
              'JOIN opens a possible request; this is already a join request: to approve it, write PO',
            )
          : explain(
              'kjo është kërkesë për anëtarësim, jo kërkesë e mundshme: për ta refuzuar, shkruani JO',
              'this is a join request, not a possible request: to reject it, write JO',
            ),
    }),
    { only: [by] },
  );
  b.audit('ignored', { by, via, detail: `${word} on a request that is not a possible request` });
}

/** INFO or UNDO on a possible request: it has to be opened (or closed) first. */
function openFirst(b: Builder, by: string, via: string, word: string): void {
  b.sendCoordinators(
    'reply_help',
    () => ({
      reference: b.r.id,
      problem: explain(
        `kjo është një kërkesë e mundshme: hapeni fillimisht me PO (ose JOIN), ose mbylleni me JO (ose NO)`,
        `this is a possible request: first open it with PO (or JOIN), or close it with JO (or NO)`,
      ),
    }),
    { only: [by] },
  );
  b.audit('ignored', { by, via, detail: `${word} on a possible request` });
}

/**
 * A coordinator says the possible request is a join request: it becomes an ordinary pending one,
 * acknowledged to its contact and put to every coordinator for approval. Opening is not an approval.
 */
function open(b: Builder, e: Extract<FlowEvent, { type: 'open' }>): void {
  const r = b.r;
  const { settings, now } = b.ctx;
  const by = normaliseAddress(e.by);
  if (r.status !== 'unclear' || !r.possible) return notUnclear(b, by, e.via, 'open');
  const changes = e.corrections ? applyCorrections(r, e.corrections) : [];
  if (changes.length)
    b.audit('corrected', { by, via: e.via, detail: changes.map((c) => `${c.field}=${c.value}`).join('; ') });
  r.status = 'pending';
  r.possible.resolution = { outcome: 'opened', by, at: iso(now), via: e.via, reason: null };
  r.expiresAt = iso(new Date(now.getTime() + settings.requestTtlMs));
  b.audit('opened', { by, via: e.via, detail: 'a join request after all' });
  // Sent because a coordinator decided, not in automatic reply to the received mail (RFC 3834 §2: auto-generated).
  acknowledge(b, 'auto-generated');
  requestApproval(b, by);
  // The possible request's reminder still waiting finds the sequence moved on, and does nothing.
  r.reminders += 1;
  scheduleTimers(b, r.reminders + 1);
}

/** A coordinator says the possible request is no request: final, and nothing goes to its sender. */
function close(b: Builder, e: Extract<FlowEvent, { type: 'close' }>): void {
  const r = b.r;
  const by = normaliseAddress(e.by);
  if (r.status !== 'unclear' || !r.possible) return notUnclear(b, by, e.via, 'close');
  const reason = e.reason?.trim() || null;
  r.status = 'not_request';
  r.possible.resolution = { outcome: 'closed', by, at: iso(b.ctx.now), via: e.via, reason };
  b.audit('closed', { by, via: e.via, detail: reason ? `not a request: ${reason}` : 'not a request' });
  b.sendCoordinators('decision_echo', () => ({
    reference: r.id,
    organizationName: orgName(r),
    decision: 'close',
    by,
    reason,
    undoDeadline: null,
    approvalsSoFar: 0,
    approvalsRequired: b.ctx.settings.approvalsRequired,
  }));
}

/** The one way a request changes. Pure: `request` is not modified. */
export function transition(request: RequestRecord, event: FlowEvent, ctx: Ctx): TransitionResult {
  if ('via' in event && request.handled.includes(event.via)) {
    return { request, effects: [], changed: false };
  }
  const r: RequestRecord = structuredClone(request);
  const b = new Builder(r, ctx);
  let changed = true;
  switch (event.type) {
    case 'decide':
      decide(b, event);
      break;
    case 'undo':
      undo(b, event);
      break;
    case 'info':
      info(b, event);
      break;
    case 'correct':
      correct(b, event);
      break;
    case 'unclear':
      b.sendCoordinators('reply_help', () => ({ reference: r.id, problem: event.problem }), { only: [event.by] });
      b.audit('unclear_reply', { by: normaliseAddress(event.by), via: event.via, detail: event.problem.en });
      break;
    case 'org_reply':
      orgReply(b, event);
      break;
    case 'open':
      open(b, event);
      break;
    case 'close':
      close(b, event);
      break;
    case 'timer':
      changed = timer(b, event);
      break;
    case 'applied':
      if (r.outcome) changed = false;
      else {
        r.outcome = { position: event.position, version: event.version };
        b.audit('registry_updated', {
          detail: `position ${event.position ?? '-'}, statement version ${event.version ?? '-'}`,
        });
      }
      break;
  }
  if (!changed) return { request, effects: [], changed: false };
  if ('via' in event) r.handled = [...r.handled, event.via].slice(-200);
  r.updatedAt = ctx.now.toISOString();
  return { request: r, effects: b.effects, changed: true };
}

// ---------------------------------------------------------------- duplicates

/** Free-mail providers: a shared domain says nothing about the organisation. */
const FREEMAIL = new Set([
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'yahoo.co.uk',
  'hotmail.com',
  'outlook.com',
  'live.com',
  'msn.com',
  'icloud.com',
  'me.com',
  'aol.com',
  'protonmail.com',
  'proton.me',
  'gmx.com',
  'gmx.net',
  'mail.com',
  'yandex.com',
  'zoho.com',
  'abv.bg',
  'web.de',
]);

export function isFreemail(domain: string): boolean {
  return FREEMAIL.has(domain.toLowerCase());
}

/** Lowercase, no diacritics or punctuation, single spaces (the statement's own comparison). */
export const normaliseOrgName = normaliseName;

export interface KnownOrganisation {
  id: string;
  name: string;
  acronym: string | null;
  /** Addresses known for it (signatory contact, request sender/reply). */
  emails: string[];
  /** Signatory position (1-based) or the pending request id. */
  position?: number;
}

export type DuplicateMatch = { on: 'name' | 'acronym' | 'domain'; org: KnownOrganisation } | null;

/**
 * Does this organisation already exist among `known` (signatories or open
 * requests)? Matches on the normalised name, the acronym (≥ 2 characters), or
 * the sender's domain when it is not a free-mail provider.
 */
export function findDuplicate(
  org: Organization,
  senderAddress: string,
  known: readonly KnownOrganisation[],
): DuplicateMatch {
  const name = org.name ? normaliseOrgName(org.name) : '';
  const acronym = org.acronym ? normaliseOrgName(org.acronym) : '';
  const domain = domainOf(senderAddress);
  for (const k of known) {
    if (name && normaliseOrgName(k.name) === name) return { on: 'name', org: k };
    if (acronym.length >= 2 && k.acronym && normaliseOrgName(k.acronym) === acronym) return { on: 'acronym', org: k };
    if (name && k.acronym && normaliseOrgName(k.acronym) === name) return { on: 'acronym', org: k };
  }
  if (domain && !isFreemail(domain)) {
    for (const k of known) {
      if (k.emails.some((e) => domainOf(e) === domain)) return { on: 'domain', org: k };
    }
  }
  return null;
}
