import { createHmac, timingSafeEqual } from 'node:crypto';
import { ZodError } from 'zod';
import type { Config } from '../../config/schema.ts';
import { effectId, type TokenUse, type UpdateResult } from '../contracts/requests.ts';
import { capsFor, type CapCause, type CapSettings, type MailCap } from '../domain/mail-caps.ts';
import { normaliseAddress } from '../domain/mail.ts';
import type { OutgoingAttachment, OutgoingMail } from '../domain/outgoing.ts';
import {
  transition,
  type Effect,
  type FlowEvent,
  type FlowSettings,
  type RequestRecord,
  type RequestStatus,
  type SendEffect,
  type TimerEffect,
} from '../domain/request.ts';
import { StatementError, type StatementVersion } from '../domain/statement.ts';
import { digestRoute, type Digest, type DigestItem } from '../domain/digest.ts';
import { addressTag, formatWindow, OPEN_STATUSES } from '../domain/request.ts';
import { digestMessageIdLocal, tokenMessageIdLocal } from '../domain/token.ts';
import { mailLanguage, type TemplateName, type Templates, type TemplateVars } from '../contracts/mail-catalog.ts';
import type { CappedResult, Outbox, SendResult } from '../contracts/outbox.ts';
import type { DigestStore, Logger, RequestStore } from './ports.ts';
import type { StatementService } from './statement-service.ts';

/**
 * Performing the effects of request transitions. The store keeps them in the
 * request's outbox until they are done; each is idempotent by its id:
 *  - mails: the effect key is the Outbox id (job id + the mailer's sent record);
 *  - timers: deterministic BullMQ job ids on the `timers` queue;
 *  - registry changes: keyed by the request id (the registry's `applied` map),
 *    and the statement announcement by its version (`statement.vN.list`).
 */

export interface TimerScheduler {
  schedule(t: TimerEffect & { requestId: string }): Promise<void>;
}

/**
 * Named points of the flow, for metrics and for the crash tests (which stop
 * the process there): 'created' (request stored, effects not yet performed),
 * 'applied' (transition stored), 'effect' (one effect performed),
 * 'processed' (message handled, spool entry not yet deleted), 'digest' (a digest cut, its mails not yet
 * queued).
 */
export type FlowPoint = 'created' | 'applied' | 'effect' | 'processed' | 'digest';
export type FlowHook = (point: FlowPoint, detail: string) => void | Promise<void>;

/**
 * The outbox, with the caps on automatic mail (src/domain/mail-caps.ts). An outbox without `sendCapped`
 * (a test's) sends everything.
 */
export interface FlowOutbox extends Outbox {
  sendCapped?(mail: OutgoingMail, caps: readonly MailCap[], note: Record<string, string>): Promise<SendResult | CappedResult>;
}

export interface FlowDeps {
  config: Config;
  store: RequestStore;
  outbox: FlowOutbox;
  templates: Templates;
  timers: TimerScheduler;
  statements: Pick<StatementService, 'join' | 'leave'>;
  secret: string | Buffer;
  logger: Logger;
  clock: () => Date;
  hook?: FlowHook | undefined;
  /** Reads a received message back (the spool), to attach the original when effects run after a restart. */
  original?: ((sourceKey: string) => Promise<Buffer | null>) | undefined;
  /** The approval digest (APPROVAL_DIGEST); without it every approval request is a mail of its own. */
  digest?: DigestDeps | undefined;
}

export interface DigestDeps {
  store: DigestStore;
  /** A tick of the digest (Flow.sendDigests) at `at`, idempotent by `jobId`. */
  schedule(jobId: string, at: Date): Promise<void>;
}

/** The most requests one digest mail lists; more wait for the next one. */
export const DIGEST_MAX_ITEMS = 500;

export function flowSettings(config: Config): FlowSettings {
  return {
    coordinators: config.COORDINATORS.map((c) => c.toLowerCase()),
    approvalsRequired: config.APPROVALS_REQUIRED,
    undoWindowMs: config.UNDO_WINDOW,
    reminderAfterMs: config.REMINDER_AFTER,
    requestTtlMs: config.REQUEST_TTL,
  };
}

export function capSettings(config: Config): CapSettings {
  return {
    perRecipient: config.MAIL_CAP_PER_RECIPIENT,
    perCoordinator: config.MAIL_CAP_PER_COORDINATOR,
    perRequest: config.MAIL_CAP_PER_REQUEST,
    perSender: config.MAIL_CAP_PER_SENDER,
    warnings: config.MAIL_CAP_WARNINGS,
    total: config.MAIL_CAP_TOTAL,
    coordinators: config.COORDINATORS,
  };
}

const MESSAGE_ID = /^<[^<>\s]+>$/;

function orgTag(secret: string | Buffer, prefix: string, to: string): string {
  return createHmac('sha256', secret)
    .update(`org|${prefix.toLowerCase()}|${normaliseAddress(to)}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * The Message-ID local part of a mail to an organisation about a request: `REQ-7F3K2.3.acknowledgement.o<tag>`,
 * the tag an HMAC (128 bits) of that prefix and the recipient. A reply that cites it comes from someone who
 * received the mail; recomputed with the reply's From, it also proves the reply comes from that address.
 */
export function orgMessageIdLocal(secret: string | Buffer, prefix: string, to: string): string {
  return `${prefix}.o${orgTag(secret, prefix, to)}`;
}

const ORG_REF = /<(REQ-[2-9A-HJKMNP-TV-Z]{5,8}(?:\.[A-Za-z0-9_-]+)+)\.o([a-f0-9]{32})@([^<>\s]+)>/gi;

/**
 * The request a reply answers, when it cites (In-Reply-To, References) one of our mails to exactly its From
 * address: the tag is checked in constant time. Subjects and untagged Message-IDs never count.
 */
export function orgThreadRequest(
  secret: string | Buffer,
  ourDomain: string,
  from: string,
  inReplyTo: string | null,
  references: readonly string[],
): string | null {
  for (const id of [inReplyTo ?? '', ...[...references].reverse()]) {
    for (const m of id.matchAll(ORG_REF)) {
      const [, prefix, tag, domain] = m as unknown as [string, string, string, string];
      if (domain.toLowerCase() !== ourDomain.toLowerCase()) continue;
      const expected = Buffer.from(orgTag(secret, prefix, from));
      const given = Buffer.from(tag.toLowerCase());
      if (given.length === expected.length && timingSafeEqual(given, expected)) {
        return (prefix.split('.')[0] as string).toUpperCase();
      }
    }
  }
  return null;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/** Renders a send effect into the mail the outbox queues. */
export function toOutgoing(
  d: Pick<FlowDeps, 'config' | 'templates' | 'secret'>,
  requestId: string,
  requestLanguage: string | null,
  e: SendEffect,
  extraVars: Record<string, unknown> = {},
  original?: Buffer | null,
): OutgoingMail {
  const lang = mailLanguage(d.config, e.audience === 'org' ? requestLanguage : null);
  // The original goes along up to a size; above it (or once it has left the spool) the mail says where it is.
  const attach = e.attachOriginal && !!original && original.length <= d.config.ATTACH_ORIGINAL_MAX_BYTES;
  const omitted = e.attachOriginal && !attach
    ? {
        originalOmitted: {
          size: original ? megabytes(original.length) : null,
          folder: d.config.FOLDER_PROCESSED,
          command: `coalition request ${requestId} --raw`,
        },
      }
    : {};
  const vars = { ...e.vars, ...omitted, ...extraVars } as TemplateVars<TemplateName>;
  const rendered = d.templates.render(e.template as TemplateName, lang, vars);
  const attachments: OutgoingAttachment[] = [];
  if (attach && original) {
    attachments.push({
      filename: `${requestId}.eml`,
      contentType: 'message/rfc822',
      content: original.toString('base64'),
      encoding: 'base64',
    });
  }
  const references = e.references.filter((r) => MESSAGE_ID.test(r));
  return {
    id: e.key,
    to: e.to,
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    ...(e.inReplyTo && MESSAGE_ID.test(e.inReplyTo) ? { inReplyTo: e.inReplyTo } : {}),
    ...(references.length ? { references } : {}),
    autoSubmitted: e.autoSubmitted,
    ...(attachments.length ? { attachments } : {}),
    ...(e.token
      ? { messageIdLocal: tokenMessageIdLocal(d.secret, requestId, e.token.coordinator, e.token.nonce) }
      : e.audience === 'org' && e.to.length === 1 && e.key.startsWith(`${requestId}.`)
        ? { messageIdLocal: orgMessageIdLocal(d.secret, e.key, e.to[0] as string) }
        : {}),
  };
}

/** What a request's transition is logged as: the event that moved it, without any of the mail's content. */
export type TransitionCause = FlowEvent | { type: 'received'; via: string };

/**
 * The fields of a request's transition log line: the request, the Message-ID of the mail that caused it (when a
 * mail did), the status before and after, the event and who gave it. Never a body, a subject, a name the sender
 * wrote, a token or a reason: only ids, statuses, addresses of coordinators and the event's kind.
 */
export function transitionFields(
  requestId: string,
  from: RequestStatus | 'received',
  to: RequestStatus,
  cause: TransitionCause,
): Record<string, string | null> {
  const via = 'via' in cause ? cause.via : null;
  const fromMail = !!via && MESSAGE_ID.test(via);
  return {
    requestId,
    messageId: fromMail ? via : null,
    from,
    to,
    event: cause.type,
    ...('by' in cause ? { by: normaliseAddress(cause.by) } : {}),
    ...(cause.type === 'decide' ? { decision: cause.decision } : {}),
    ...(cause.type === 'timer' ? { timer: cause.timer } : {}),
    ...(cause.type === 'contact_answer' ? { answer: cause.answer } : {}),
    // A decision from the CLI or the status page carries no Message-ID: its via (cli.<time>.<random>) says where.
    ...(via && !fromMail && /^(?:cli|web)\.[\w:.-]+$/.test(via) ? { via } : {}),
  };
}

function position(version: StatementVersion, id: string): number | null {
  const i = version.signatories.findIndex((s) => s.id === id);
  return i < 0 ? null : i + 1;
}

export class Flow {
  /** Requests whose approval requests are mails of their own (a route is stored once and never changes). */
  private readonly singleRoutes = new Set<string>();

  constructor(readonly d: FlowDeps) {}

  ctx(o: { quiet?: boolean; takenNames?: readonly string[]; batch?: boolean } = {}) {
    return {
      now: this.d.clock(),
      settings: flowSettings(this.d.config),
      ...(o.quiet ? { quiet: true } : {}),
      ...(o.takenNames ? { takenNames: o.takenNames } : {}),
      ...(o.batch ? { batch: true } : {}),
    };
  }

  /**
   * Applies an event atomically, then performs the resulting (and any earlier pending) effects.
   * `cause`: who wrote the message behind the event (its mails count against that sender's cap);
   * `quiet`: the message answers one of our help mails, and gets none back.
   */
  async apply(
    requestId: string,
    event: FlowEvent,
    o: {
      tokenUse?: TokenUse;
      original?: Buffer | null;
      cause?: string | null;
      quiet?: boolean;
      takenNames?: readonly string[];
      /** One line of a digest reply: the coordinators get one summary of the reply instead of an echo per line. */
      batch?: boolean;
    } = {},
  ): Promise<UpdateResult> {
    const ctx = {
      ...(o.quiet ? { quiet: true } : {}),
      ...(o.takenNames ? { takenNames: o.takenNames } : {}),
      ...(o.batch ? { batch: true } : {}),
    };
    const before: { status?: RequestStatus } = {};
    const res = await this.d.store.update(
      requestId,
      (r) => {
        // The store may call the step again (a concurrent write): the last call is the one it stored.
        before.status = r.status;
        return transition(r, event, this.ctx(ctx));
      },
      o.tokenUse ? { tokenUse: o.tokenUse } : {},
    );
    if (res.found && 'changed' in res && res.changed) {
      this.transitioned(requestId, before.status ?? res.request.status, res.request.status, event);
      await this.d.hook?.('applied', requestId);
    }
    if (res.found) await this.flush(requestId, o.original ?? null, { cause: o.cause ?? null });
    return res;
  }

  /**
   * Queues one mail within its caps (src/domain/mail-caps.ts). A mail over a cap is recorded by the outbox
   * and never sent; for a request's mail the audit says so too.
   */
  async send(mail: OutgoingMail, cause: CapCause): Promise<SendResult | CappedResult> {
    const outbox = this.d.outbox;
    if (!outbox.sendCapped) return outbox.send(mail);
    const recipients = [...mail.to, ...(mail.cc ?? []), ...(mail.bcc ?? [])];
    const caps = capsFor(recipients, cause, capSettings(this.d.config));
    const res = await outbox.sendCapped(mail, caps, {
      subject: mail.subject.slice(0, 200),
      to: recipients.join(', '),
      ...(cause.requestId ? { requestId: cause.requestId } : {}),
      ...(cause.sender ? { sender: cause.sender } : {}),
    });
    if (res.status === 'capped') {
      this.d.logger.warn({ mailId: mail.id, to: recipients, bucket: res.bucket }, 'mail over its cap: recorded, not sent');
      if (cause.requestId) {
        await this.d.store.audit(
          cause.requestId,
          { event: 'mail_capped', detail: `${mail.id} to ${recipients.join(', ')}: ${res.bucket} is full` },
          this.d.clock(),
        );
      }
    }
    return res;
  }

  /** Performs every pending effect of a request, in order, then removes them from its outbox. */
  async flush(requestId: string, original: Buffer | null = null, o: { cause?: string | null } = {}): Promise<void> {
    const effects = await this.d.store.pendingEffects(requestId);
    if (!effects.length) return;
    const request = await this.d.store.get(requestId);
    if (!request) return;
    if (
      !original &&
      request.sourceKey &&
      this.d.original &&
      effects.some((e) => e.type === 'send' && e.attachOriginal)
    ) {
      original = await this.d.original(request.sourceKey);
    }
    const done: Effect[] = [];
    try {
      for (const e of effects) {
        try {
          await this.perform(request, e, original, o.cause ?? null);
        } catch (err) {
          // Refusals that no retry can change — the registry's (already a signatory, no longer one) or an
          // invalid mail (an address the outbox does not accept) — are recorded, and the rest goes on.
          const permanent = err instanceof StatementError || err instanceof ZodError;
          if (!permanent) throw err;
          const event = err instanceof StatementError ? 'registry_refused' : 'mail_refused';
          this.d.logger.error({ err, requestId, effect: effectId(e) }, event.replace('_', ' '));
          await this.d.store.audit(
            requestId,
            { event, detail: `${effectId(e)}: ${err.message.slice(0, 300)}` },
            this.d.clock(),
          );
        }
        done.push(e);
        await this.d.hook?.('effect', effectId(e));
      }
    } finally {
      if (done.length) await this.d.store.completeEffects(requestId, done);
    }
  }

  private async perform(r: RequestRecord, e: Effect, original: Buffer | null, sender: string | null): Promise<void> {
    const log = this.d.logger.child({ requestId: r.id, effect: effectId(e) });
    const cause: CapCause = { requestId: r.id, sender };
    switch (e.type) {
      case 'send': {
        if (e.template === 'approval_request' && (await this.intoDigest(r))) {
          log.debug({ to: e.to }, 'approval request put in the digest');
          return;
        }
        if (e.template === 'reminder' && (await this.remindInDigest(r))) {
          log.debug({ to: e.to }, 'reminder: listed again in the next digest');
          return;
        }
        const res = await this.send(toOutgoing(this.d, r.id, r.language, e, {}, original), cause);
        log.debug({ status: res.status, template: e.template, to: e.to }, 'mail queued');
        return;
      }
      case 'schedule':
        await this.d.timers.schedule({ ...e, requestId: r.id });
        return;
      case 'addSignatory': {
        const name = e.organization.name ?? e.organization.acronym ?? r.senderAddress;
        const res = await this.d.statements.join(
          {
            signatory: {
              name,
              acronym: e.organization.acronym,
              city: e.organization.city,
              website: e.organization.website,
              contactEmail: e.contactEmail,
            },
            approvedBy: e.approvedBy,
            source: e.requestId,
            at: this.d.clock(),
          },
          e.requestId,
        );
        const pos = position(res.version, e.requestId) ?? res.version.signatories.length;
        await this.recordOutcome(r.id, pos, res.version.number);
        // No confirmation when nobody can be written to (a possible request opened without a contact address).
        if (e.confirm) {
          await this.send(
            toOutgoing(this.d, r.id, r.language, e.confirm, { position: pos, version: res.version.number }),
            cause,
          );
        }
        log.info({ version: res.version.number, position: pos, created: res.created }, 'signatory added');
        return;
      }
      case 'removeSignatory': {
        const res = await this.d.statements.leave(
          { signatoryId: e.signatoryId, approvedBy: e.approvedBy, source: e.requestId, at: this.d.clock() },
          e.requestId,
        );
        await this.recordOutcome(r.id, null, res.version.number);
        await this.send(toOutgoing(this.d, r.id, r.language, e.confirm, { version: res.version.number }), cause);
        log.info({ version: res.version.number, created: res.created }, 'signatory removed');
        return;
      }
    }
  }

  /**
   * Logs one stored transition: at info when the status changed (or the request was made), at debug when the
   * event changed the record only (a first of two approvals, a correction, the registry's outcome recorded).
   */
  transitioned(requestId: string, from: RequestStatus | 'received', to: RequestStatus, cause: TransitionCause): void {
    const fields = transitionFields(requestId, from, to, cause);
    if (from === to) this.d.logger.debug(fields, 'request transition');
    else this.d.logger.info(fields, 'request transition');
  }

  private async recordOutcome(id: string, pos: number | null, version: number): Promise<void> {
    const event: FlowEvent = { type: 'applied', position: pos, version };
    const before: { status?: RequestStatus } = {};
    const res = await this.d.store.update(id, (r) => {
      before.status = r.status;
      return transition(r, event, this.ctx());
    });
    if (res.found && 'changed' in res && res.changed) this.transitioned(id, before.status ?? res.request.status, res.request.status, event);
  }

  /** Performs pending effects of every request (start-up recovery after a crash), then the digest's. */
  async recover(): Promise<number> {
    const ids = await this.d.store.requestsWithEffects();
    for (const id of ids) {
      try {
        await this.flush(id);
      } catch (err) {
        this.d.logger.error({ err, requestId: id }, 'could not perform pending effects');
      }
    }
    try {
      await this.sendDigests(`start${this.d.clock().getTime()}`);
    } catch (err) {
      this.d.logger.error({ err }, 'could not send the waiting digest');
    }
    return ids.length;
  }

  // ------------------------------------------------------------ the approval digest

  /**
   * Whether this request's approval request goes into the digest instead of a mail of its own
   * (APPROVAL_DIGEST). Decided once per request, atomically with adding it to the waiting list: performing the
   * effect again (after a crash), or the effect of the next coordinator, finds the same answer.
   */
  private async intoDigest(r: RequestRecord): Promise<boolean> {
    const dg = this.d.digest;
    const setting = this.d.config.APPROVAL_DIGEST;
    if (!dg || setting.mode === 'off') return false;
    // A route never changes once stored: the next coordinator's effect of the same request need not ask Redis.
    if (this.singleRoutes.has(r.id)) return false;
    const now = this.d.clock();
    const res = await dg.store.route(r.id, (o) => digestRoute(setting, o), {
      now: now.getTime(),
      windowMs: setting.mode === 'rate' ? setting.windowMs : 3_600_000,
    });
    if (res.route === 'single') {
      this.singleRoutes.add(r.id);
      if (this.singleRoutes.size > 1000) this.singleRoutes.delete(this.singleRoutes.values().next().value as string);
      return false;
    }
    if (res.first) {
      await this.d.store.audit(r.id, { event: 'in_digest', detail: 'the approval request waits for the next digest' }, now);
    }
    if (res.oldest !== null) await this.scheduleDigest(res.oldest);
    return true;
  }

  /**
   * A reminder of a request whose approval request went into a digest: the request is listed again in the next
   * digest instead of a reminder mail per request (a flood would otherwise come back REMINDER_AFTER later).
   */
  private async remindInDigest(r: RequestRecord): Promise<boolean> {
    const dg = this.d.digest;
    if (!dg) return false;
    const oldest = await dg.store.requeue(r.id, this.d.clock().getTime());
    if (oldest === null) return false;
    await this.scheduleDigest(oldest);
    return true;
  }

  private async scheduleDigest(oldest: number, tag = ''): Promise<void> {
    const every = this.d.config.APPROVAL_DIGEST_EVERY;
    const at = new Date(Math.max(oldest + every, tag ? this.d.clock().getTime() + every : 0));
    await this.d.digest?.schedule(`digest.${oldest}${tag ? `.${tag}` : ''}`, at);
  }

  /**
   * A tick of the digest: queues the mails of any digest cut but not sent (a crash between the two), then cuts
   * the next one when its oldest request has waited APPROVAL_DIGEST_EVERY, and sends it: one mail per
   * coordinator, each with its own token. Requests decided meanwhile are left out. Idempotent: a digest's mails
   * have fixed ids (`digest.<n>.<coordinator>`), and a request leaves the waiting list only into a digest.
   */
  async sendDigests(tag = ''): Promise<number> {
    const dg = this.d.digest;
    if (!dg) return 0;
    let sent = 0;
    for (const d of await dg.store.unsent()) {
      await this.sendDigest(d);
      sent += 1;
    }
    const now = this.d.clock();
    const cut = await dg.store.cut({
      dueBy: now.getTime() - this.d.config.APPROVAL_DIGEST_EVERY,
      max: DIGEST_MAX_ITEMS,
      now,
      keep: (ids) => this.undecided(ids),
    });
    if (cut) {
      await this.hook('digest', String(cut.number));
      await this.sendDigest(cut);
      sent += 1;
    }
    const oldest = await dg.store.oldestWaiting();
    if (oldest !== null) await this.scheduleDigest(oldest, cut ? `after${cut.number}` : tag);
    return sent;
  }

  private async hook(point: FlowPoint, detail: string): Promise<void> {
    await this.d.hook?.(point, detail);
  }

  /** The requests still waiting for a decision, with their sequence number now (what the digest shows). */
  private async undecided(ids: readonly string[]): Promise<DigestItem[]> {
    const out: DigestItem[] = [];
    for (const id of ids) {
      const r = await this.d.store.get(id);
      if (r && r.kind === 'join' && OPEN_STATUSES.includes(r.status)) out.push({ id: r.id, seq: r.seq });
    }
    return out;
  }

  private async sendDigest(d: Digest): Promise<void> {
    const config = this.d.config;
    const requests: RequestRecord[] = [];
    for (const item of d.items) {
      const r = await this.d.store.get(item.id);
      if (r) requests.push(r);
    }
    const items = requests.map((r) => ({
      reference: r.id,
      organization: r.organization,
      contact: r.contact ?? { name: null, email: r.replyAddress || null, phone: null },
      language: r.language,
      receivedAt: r.createdAt,
      originalSubject: r.originalSubject,
      excerpt: r.excerpt.length > 400 ? `${r.excerpt.slice(0, 399)}…` : r.excerpt,
      missing: r.missing,
      from: r.senderAddress,
      fromVerified: r.senderVerified === true,
      answersTo: r.replyAddress || null,
      proposedContact: r.proposedContact,
      resembles: r.resembles,
    }));
    const settings = flowSettings(config);
    for (const c of settings.coordinators) {
      const rendered = this.d.templates.render('approval_digest', mailLanguage(config, null), {
        number: d.number,
        coordinatorAddress: c,
        items,
        count: items.length,
        example: items[0]?.reference ?? 'REQ-7F3K2',
        approvalsRequired: settings.approvalsRequired,
        undoWindow: formatWindow(settings.undoWindowMs),
      });
      // Never capped (as statement updates): at most one per coordinator and APPROVAL_DIGEST_EVERY, and only
      // while requests wait; a digest recorded over a cap would hide every request it lists.
      await this.d.outbox.send({
        id: `digest.${d.number}.${addressTag(c)}`,
        to: [c],
        ...rendered,
        autoSubmitted: 'auto-generated',
        messageIdLocal: digestMessageIdLocal(this.d.secret, d.number, c, 'd'),
      });
    }
    await this.d.digest?.store.markSent(d.number);
    this.d.logger.info({ digest: d.number, requests: items.length }, 'approval digest sent');
  }
}
