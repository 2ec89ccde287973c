import { cleanBlock, cleanLine, FIELD_MAX, normaliseName } from '../statement.ts';
import { explain, type Explanation } from '../explanation.ts';
import type { Corrections } from '../reply-command.ts';
import { normaliseAddress } from '../mail.ts';
import {
  type CoordinatorTemplate,
  type Ctx,
  type Effect,
  type FlowEvent,
  MISSING_LABELS,
  type NewRequestInput,
  OPEN_STATUSES,
  type OrganisationTemplate,
  type Organization,
  type PossibleRequestInput,
  type RequestRecord,
  type RequestStatus,
  type SendEffect,
  type TimerEffect,
  type TransitionResult,
} from './schema.ts';

/**
 * A join (or withdrawal) request and the pure state machine that moves it.
 *
 *   unclear ──PO/JOIN (open)──▶ pending            unclear ──JO/NO (close)──▶ not_request
 *
 *   withdrawal: awaiting_confirmation ──the registered contact says yes──▶ pending (coordinators asked)
 *                                     ──it says no──▶ not_request (coordinators told)
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
 *  - a reply (Message-ID) is applied at most once per request (replays);
 *  - an approval given on a mail sent before the organisation changed its
 *    details does not count: the coordinators see the change first;
 *  - a help or "already decided" mail never answers a reply to one of them
 *    (Ctx.quiet), so a coordinator's autoresponder cannot loop with the desk;
 *  - a value the registry would refuse (a name too long, empty, already a
 *    signatory's) is refused at the correction, and the one who sent it told.
 */
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

/** A duration as the mails write it: "15 min", "1 h", "2 d"; empty for 0. */
export function formatWindow(ms: number): string {
  if (ms <= 0) return '';
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** The mails to coordinators that a digest reply's one summary replaces (Ctx.batch). */
const SUMMARISED: ReadonlySet<CoordinatorTemplate> = new Set(['decision_echo', 'undone', 'reply_help', 'already_decided']);

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
    o: { only?: readonly string[]; attachOriginal?: boolean; possible?: boolean; answer?: boolean } = {},
  ): void {
    if (this.ctx.batch && SUMMARISED.has(template)) {
      this.audit('in_summary', { detail: `${template}: told in the summary of the digest reply` });
      return;
    }
    const seq = this.nextSeq();
    // p: a possible-request mail (PO opens it); h: an answer to a coordinator's reply (a reply to it is never answered).
    const prefix = o.answer ? 'h' : o.possible ? 'p' : 'm';
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
        token: { coordinator: c, nonce: `${prefix}${seq}` },
        attachOriginal: o.attachOriginal ?? false,
      });
    }
    this.audit('mail_queued', { detail: `${template} to ${recipients.join(', ')}` });
  }

  /**
   * A help or "already decided" mail to the coordinator whose reply caused it. Never in answer to a reply
   * to such a mail (ctx.quiet): a coordinator's autoresponder would otherwise get one back for every one it sends.
   */
  answer(template: 'reply_help' | 'already_decided', by: string, vars: Record<string, unknown>): void {
    if (this.ctx.quiet) {
      this.audit('answer_not_sent', {
        by,
        detail: `${template}: the reply answers one of the desk's own answers, which are never answered again`,
      });
      return;
    }
    this.sendCoordinators(template, () => vars, { only: [by], answer: true });
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
    organization: cleanOrganization(input.organization),
    contact: input.contact
      ? {
          name: optionalLine(input.contact.name, NAME_MAX_CONTACT),
          email: input.contact.email ? normaliseAddress(input.contact.email) : null,
          phone: optionalLine(input.contact.phone, 60),
        }
      : null,
    replyAddress: input.replyAddress ? normaliseAddress(input.replyAddress) : '',
    senderAddress: normaliseAddress(input.senderAddress),
    language: input.language,
    originalMessageId: input.originalMessageId,
    sourceKey: input.sourceKey ?? null,
    references: input.references.slice(-20),
    originalSubject: cleanLine(input.originalSubject, 300),
    excerpt: cleanBlock(input.excerpt, 2000),
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
    senderVerified: input.senderVerified ?? null,
    proposedContact: input.proposedContact ? normaliseAddress(input.proposedContact) : null,
    resembles: input.resembles ? cleanLine(input.resembles, 300) : null,
    orgChangedSeq: null,
    possible: null,
    seq: 0,
    audit: [],
  };
}

const NAME_MAX_CONTACT = 200;

function optionalLine(v: string | null | undefined, max: number): string | null {
  const t = v ? cleanLine(v, max) : '';
  return t === '' ? null : t;
}

/** An organisation as read from a mail, as the desk keeps it: one clean line per field, each within its cap. */
function cleanOrganization(o: Organization): Organization {
  return {
    name: optionalLine(o.name, FIELD_MAX.name),
    acronym: optionalLine(o.acronym, FIELD_MAX.acronym),
    city: optionalLine(o.city, FIELD_MAX.city),
    website: optionalLine(o.website, FIELD_MAX.website),
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
      from: r.senderAddress,
      fromVerified: r.senderVerified === true,
      answersTo: r.replyAddress || null,
      proposedContact: r.proposedContact,
      resembles: r.resembles,
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
    // The signatory's registered contact confirms first: a forged From is then stopped by its real owner,
    // who receives this mail, before any coordinator is asked.
    r.status = 'awaiting_confirmation';
    b.sendOrg(
      'withdrawal_confirmation',
      { reference: r.id, organizationName: orgName(r), from: r.senderAddress, receivedAt: r.createdAt },
      'auto-replied',
    );
    b.audit('confirmation_requested', { detail: `from the registered contact ${r.replyAddress}` });
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

/** The sequence number in a token nonce (m12, p3, h7), or null. */
function nonceSeq(nonce: string | undefined): number | null {
  const m = nonce ? /^[a-z](\d+)$/.exec(nonce) : null;
  return m ? Number(m[1]) : null;
}

function decisionWord(r: RequestRecord): 'approve' | 'reject' | 'expire' | 'withdraw' | 'close' {
  if (r.status === 'not_request') return 'close';
  if (r.status === 'expired') return 'expire';
  if (r.decision?.outcome === 'reject') return 'reject';
  return r.kind === 'withdrawal' ? 'withdraw' : 'approve';
}

function alreadyDecided(b: Builder, by: string, via: string): void {
  const r = b.r;
  if (r.status === 'awaiting_confirmation') {
    b.answer('reply_help', by, {
      reference: r.id,
      problem: explain(
        'kjo tërheqje pret ende konfirmimin e kontaktit të regjistruar të organizatës',
        "this withdrawal is still waiting for the confirmation of the organisation's registered contact",
      ),
    });
    b.audit('ignored', { by, via, detail: 'the withdrawal awaits its contact’s confirmation' });
    return;
  }
  b.answer('already_decided', by, {
    reference: r.id,
    organizationName: orgName(r),
    decision: decisionWord(r),
    by: r.decision?.by.join(', ') || r.possible?.resolution?.by || 'coalition',
    at: r.decision?.at ?? r.possible?.resolution?.at ?? r.updatedAt,
  });
  b.audit('ignored', { by, via, detail: `late reply: already ${r.status}` });
}

const FIELDS = ['name', 'acronym', 'city', 'website'] as const;
type Field = (typeof FIELDS)[number] | 'email';

export interface Change {
  field: Field;
  /** The value before; null when it was empty. */
  from: string | null;
  value: string;
}
export interface Refusal {
  field: Field;
  reason: Explanation;
}

const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/**
 * The corrections as the registry would take them: each value cleaned like a name at creation, and
 * refused when it is empty, longer than the registry keeps, or (a name) already a signatory's. Only the
 * length of a refused value is ever repeated, never the value.
 */
function checkCorrections(r: RequestRecord, c: Corrections, ctx: Ctx): { accepted: Corrections; refused: Refusal[] } {
  const accepted: Corrections = {};
  const refused: Refusal[] = [];
  for (const field of FIELDS) {
    const raw = c[field];
    if (raw === undefined) continue;
    const v = cleanLine(raw);
    const length = Array.from(v).length;
    const max = FIELD_MAX[field];
    if (!v) {
      refused.push({ field, reason: explain('vlera është bosh', 'the value is empty') });
    } else if (length > max) {
      refused.push({
        field,
        reason: explain(
          `${length} shkronja; regjistri mban më së shumti ${max}`,
          `${length} characters; the registry keeps at most ${max}`,
        ),
      });
    } else if (
      field === 'name' &&
      normaliseName(v) !== normaliseName(r.organization.name ?? '') &&
      (ctx.takenNames ?? []).includes(normaliseName(v))
    ) {
      refused.push({
        field,
        reason: explain('një organizatë nënshkruese e ka tashmë këtë emër', 'a signatory already has this name'),
      });
    } else {
      accepted[field] = v;
    }
  }
  if (c.email !== undefined) {
    const v = c.email.trim();
    if (ADDRESS.test(v) && v.length <= 254) accepted.email = normaliseAddress(v);
    else refused.push({ field: 'email', reason: explain('nuk është adresë email', 'not an e-mail address') });
  }
  return { accepted, refused };
}

/** The refusals as one explanation, for a coordinator's help mail. */
function refusalText(refused: readonly Refusal[]): Explanation {
  return explain(
    `asgjë nuk ndryshoi: ${refused.map((x) => `${x.field}: ${x.reason.sq}`).join('; ')}`,
    `nothing changed: ${refused.map((x) => `${x.field}: ${x.reason.en}`).join('; ')}`,
  );
}

function changeDetail(changes: readonly Change[]): string {
  return changes.map((c) => `${c.field}=${JSON.stringify(c.value)} (was ${c.from === null ? 'empty' : JSON.stringify(c.from)})`).join('; ');
}

/** Applies corrections already checked (checkCorrections); returns what changed, with the values before. */
function applyCorrections(r: RequestRecord, c: Corrections): Change[] {
  const changes: Change[] = [];
  for (const field of FIELDS) {
    const v = c[field];
    if (v !== undefined && v !== r.organization[field]) {
      changes.push({ field, from: r.organization[field], value: v });
      r.organization[field] = v;
    }
  }
  if (c.email !== undefined && c.email !== r.replyAddress) {
    changes.push({ field: 'email', from: r.replyAddress || null, value: c.email });
    r.replyAddress = c.email;
    r.proposedContact = null;
  }
  // `missing` holds what the acknowledgement asks for, as written to the organisation (its labels, in
  // either language); older records may hold the field's key. A field given is asked for no longer.
  for (const { field } of changes) {
    const key = field === 'email' ? 'contact.email' : `organization.${field}`;
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

  // Every change by the organisation is shown to the coordinators before they decide: an approval written on a
  // mail sent before the change (its token's sequence number is older) approved what the coordinator saw, not this.
  const seen = nonceSeq(e.nonce);
  if (e.decision === 'approve' && seen !== null && r.orgChangedSeq !== null && seen < r.orgChangedSeq) {
    b.answer('reply_help', by, {
      reference: r.id,
      problem: explain(
        'organizata i ndryshoi të dhënat pasi ju dërguam këtë email: lexoni emailin "Kërkesa u përditësua" dhe përgjigjuni atij',
        'the organisation changed its details after this email was sent to you: read the "Request updated" email and reply to that one',
      ),
    });
    b.audit('ignored', { by, via: e.via, detail: 'approval on a mail sent before the organisation changed the request' });
    return;
  }

  if (e.corrections && e.decision === 'approve') {
    const { accepted, refused } = checkCorrections(r, e.corrections, b.ctx);
    if (refused.length) {
      b.answer('reply_help', by, { reference: r.id, problem: refusalText(refused) });
      b.audit('ignored', { by, via: e.via, detail: `correction refused: ${refused.map((x) => `${x.field}: ${x.reason.en}`).join('; ')}` });
      return;
    }
    const changes = applyCorrections(r, accepted);
    if (changes.length) b.audit('corrected', { by, via: e.via, detail: changeDetail(changes) });
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
    reasonShared: r.decision?.shareReason === true,
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
    b.answer('reply_help', by, {
      reference: r.id,
      problem: explain('ANULO: kjo kërkesë nuk ka vendim për të anuluar', 'UNDO: there is no decision to undo on this request'),
    });
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
  const { accepted, refused } = checkCorrections(r, e.corrections, b.ctx);
  if (refused.length) {
    b.answer('reply_help', by, { reference: r.id, problem: refusalText(refused) });
    b.audit('ignored', { by, via: e.via, detail: `correction refused: ${refused.map((x) => `${x.field}: ${x.reason.en}`).join('; ')}` });
    return;
  }
  const unacknowledged = !r.audit.some((a) => a.event === 'acknowledged');
  const changes = applyCorrections(r, accepted);
  if (!changes.length) {
    b.audit('ignored', { by, via: e.via, detail: 'correction changes nothing' });
    return;
  }
  b.audit('corrected', { by, via: e.via, detail: changeDetail(changes) });
  b.sendCoordinators(
    'request_updated',
    () => ({ reference: r.id, organizationName: orgName(r), changes, byOrganisation: false }),
    { possible: r.status === 'unclear' },
  );
  // A coordinator confirmed the contact address of a request nobody could be written to yet: it is acknowledged now.
  if (changes.some((c) => c.field === 'email') && unacknowledged && r.kind === 'join' && r.status !== 'unclear') {
    acknowledge(b, 'auto-generated');
  }
}

function orgReply(b: Builder, e: Extract<FlowEvent, { type: 'org_reply' }>): void {
  const r = b.r;
  if (!OPEN_STATUSES.includes(r.status)) {
    b.audit('ignored', { by: e.from, via: e.via, detail: `organisation wrote after the request was ${r.status}` });
    return;
  }
  // An organisation can change its details, never where the desk writes to (that is the coordinators').
  const update: Corrections = {};
  for (const f of FIELDS) {
    const v = e.organization[f];
    if (v) update[f] = v;
  }
  const { accepted, refused } = checkCorrections(r, update, b.ctx);
  const changes = applyCorrections(r, accepted);
  r.missing = r.missing.filter((m) => !(m in accepted) && !(m === 'organization' && accepted.name));
  const wasWaiting = r.status === 'info_requested';
  r.status = 'pending';
  b.audit('updated', {
    by: e.from,
    via: e.via,
    detail:
      [changes.length ? changeDetail(changes) : '', refused.map((x) => `${x.field} refused: ${x.reason.en}`).join('; ')]
        .filter(Boolean)
        .join('; ') || 'reply without new fields',
  });
  if (changes.length || refused.length || wasWaiting) {
    // Approvals given on mails sent before this one no longer count (see decide).
    if (changes.length) r.orgChangedSeq = r.seq + 1;
    const shown: Change[] | { field: string; from: null; value: string }[] =
      changes.length || refused.length
        ? changes
        : [{ field: 'reply', from: null, value: 'the organisation answered (see the mailbox)' }];
    b.sendCoordinators('request_updated', () => ({
      reference: r.id,
      organizationName: orgName(r),
      changes: shown,
      refused,
      byOrganisation: true,
    }));
  }
}

/** The registered contact of a signatory answers whether it asked to withdraw. */
function contactAnswer(b: Builder, e: Extract<FlowEvent, { type: 'contact_answer' }>): void {
  const r = b.r;
  const from = normaliseAddress(e.from);
  if (r.kind !== 'withdrawal' || r.status !== 'awaiting_confirmation' || from !== r.replyAddress) {
    b.audit('ignored', { by: from, via: e.via, detail: `contact answer to a request that is ${r.status}` });
    return;
  }
  const name = orgName(r);
  if (e.answer === 'unclear') {
    // Nothing is sent back: an organisation's autoresponder must not start a conversation with the desk.
    b.audit('ignored', { by: from, via: e.via, detail: 'the contact’s answer is neither yes nor no' });
    return;
  }
  if (e.answer === 'deny') {
    r.status = 'not_request';
    b.audit('withdrawal_denied', { by: from, via: e.via, detail: `the registered contact did not ask; it came from ${r.senderAddress}` });
    b.sendCoordinators('withdrawal_denied', () => ({
      reference: r.id,
      organizationName: name,
      from: r.senderAddress,
      contact: r.replyAddress,
    }));
    return;
  }
  r.status = 'pending';
  b.audit('confirmed_by_contact', { by: from, via: e.via });
  b.sendOrg('withdrawal_received', { reference: r.id, organizationName: name }, 'auto-replied');
  b.sendCoordinators(
    'withdrawal_approval_request',
    () => ({
      reference: r.id,
      organizationName: name,
      contact: r.contact ?? { name: null, email: r.replyAddress, phone: null },
      excerpt: r.excerpt,
      undoWindow: formatWindow(b.ctx.settings.undoWindowMs),
      from: r.senderAddress,
      fromVerified: r.senderVerified === true,
      confirmedBy: r.replyAddress,
      confirmedAt: iso(b.ctx.now),
    }),
    { attachOriginal: true },
  );
  b.audit('approval_requested', { detail: b.ctx.settings.coordinators.join(', ') });
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
  if (e.timer === 'expiry' && r.status === 'awaiting_confirmation') {
    if (now < new Date(r.expiresAt)) return false;
    // Never confirmed by the signatory's contact: dropped without a word to anyone.
    r.status = 'expired';
    b.audit('expired', { via: 'timer', detail: 'the registered contact never confirmed the withdrawal' });
    return true;
  }
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
    b.answer('already_decided', by, { reference: r.id, organizationName: orgName(r), decision: 'open', by: res.by, at: res.at });
    b.audit('ignored', { by, via, detail: `possible request already opened by ${res.by}` });
    return;
  }
  b.answer('reply_help', by, {
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
  });
  b.audit('ignored', { by, via, detail: `${word} on a request that is not a possible request` });
}

/** INFO or UNDO on a possible request: it has to be opened (or closed) first. */
function openFirst(b: Builder, by: string, via: string, word: string): void {
  b.answer('reply_help', by, {
    reference: b.r.id,
    problem: explain(
      `kjo është një kërkesë e mundshme: hapeni fillimisht me PO (ose JOIN), ose mbylleni me JO (ose NO)`,
      `this is a possible request: first open it with PO (or JOIN), or close it with JO (or NO)`,
    ),
  });
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
  if (e.corrections) {
    const { accepted, refused } = checkCorrections(r, e.corrections, b.ctx);
    if (refused.length) {
      b.answer('reply_help', by, { reference: r.id, problem: refusalText(refused) });
      b.audit('ignored', { by, via: e.via, detail: `correction refused: ${refused.map((x) => `${x.field}: ${x.reason.en}`).join('; ')}` });
      return;
    }
    const changes = applyCorrections(r, accepted);
    if (changes.length) b.audit('corrected', { by, via: e.via, detail: changeDetail(changes) });
  }
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
      b.answer('reply_help', normaliseAddress(event.by), { reference: r.id, problem: event.problem });
      b.audit('unclear_reply', { by: normaliseAddress(event.by), via: event.via, detail: event.problem.en });
      break;
    case 'org_reply':
      orgReply(b, event);
      break;
    case 'contact_answer':
      contactAnswer(b, event);
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
