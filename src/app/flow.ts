import { ZodError } from 'zod';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../adapters/log.ts';
import { effectId, type RequestStore, type TokenUse, type UpdateResult } from '../adapters/redis/request-store.ts';
import type { OutgoingAttachment, OutgoingMail } from '../domain/outgoing.ts';
import {
  transition,
  type Effect,
  type FlowEvent,
  type FlowSettings,
  type RequestRecord,
  type SendEffect,
  type TimerEffect,
} from '../domain/request.ts';
import { StatementError, type StatementVersion } from '../domain/statement.ts';
import { tokenMessageIdLocal } from '../domain/token.ts';
import { mailLanguage, type TemplateName, type Templates, type TemplateVars } from './mail-catalog.ts';
import type { Outbox } from './outbox.ts';
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
 * 'processed' (message handled, spool entry not yet deleted).
 */
export type FlowPoint = 'created' | 'applied' | 'effect' | 'processed';
export type FlowHook = (point: FlowPoint, detail: string) => void | Promise<void>;

export interface FlowDeps {
  config: Config;
  store: RequestStore;
  outbox: Outbox;
  templates: Templates;
  timers: TimerScheduler;
  statements: Pick<StatementService, 'join' | 'leave'>;
  secret: string | Buffer;
  logger: Logger;
  clock: () => Date;
  hook?: FlowHook | undefined;
  /** Reads a received message back (the spool), to attach the original when effects run after a restart. */
  original?: ((sourceKey: string) => Promise<Buffer | null>) | undefined;
}

export function flowSettings(config: Config): FlowSettings {
  return {
    coordinators: config.COORDINATORS.map((c) => c.toLowerCase()),
    approvalsRequired: config.APPROVALS_REQUIRED,
    undoWindowMs: config.UNDO_WINDOW,
    reminderAfterMs: config.REMINDER_AFTER,
    requestTtlMs: config.REQUEST_TTL,
  };
}

const MESSAGE_ID = /^<[^<>\s]+>$/;

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
  const vars = { ...e.vars, ...extraVars } as TemplateVars<TemplateName>;
  const rendered = d.templates.render(e.template as TemplateName, lang, vars);
  const attachments: OutgoingAttachment[] = [];
  if (e.attachOriginal && original) {
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
      : {}),
  };
}

function position(version: StatementVersion, id: string): number | null {
  const i = version.signatories.findIndex((s) => s.id === id);
  return i < 0 ? null : i + 1;
}

export class Flow {
  constructor(readonly d: FlowDeps) {}

  ctx() {
    return { now: this.d.clock(), settings: flowSettings(this.d.config) };
  }

  /** Applies an event atomically, then performs the resulting (and any earlier pending) effects. */
  async apply(
    requestId: string,
    event: FlowEvent,
    o: { tokenUse?: TokenUse; original?: Buffer | null } = {},
  ): Promise<UpdateResult> {
    const res = await this.d.store.update(
      requestId,
      (r) => transition(r, event, this.ctx()),
      o.tokenUse ? { tokenUse: o.tokenUse } : {},
    );
    if (res.found && 'changed' in res && res.changed) await this.d.hook?.('applied', requestId);
    if (res.found) await this.flush(requestId, o.original ?? null);
    return res;
  }

  /** Performs every pending effect of a request, in order, then removes them from its outbox. */
  async flush(requestId: string, original: Buffer | null = null): Promise<void> {
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
          await this.perform(request, e, original);
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

  private async perform(r: RequestRecord, e: Effect, original: Buffer | null): Promise<void> {
    const log = this.d.logger.child({ requestId: r.id, effect: effectId(e) });
    switch (e.type) {
      case 'send': {
        const res = await this.d.outbox.send(toOutgoing(this.d, r.id, r.language, e, {}, original));
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
          await this.d.outbox.send(
            toOutgoing(this.d, r.id, r.language, e.confirm, { position: pos, version: res.version.number }),
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
        await this.d.outbox.send(toOutgoing(this.d, r.id, r.language, e.confirm, { version: res.version.number }));
        log.info({ version: res.version.number, created: res.created }, 'signatory removed');
        return;
      }
    }
  }

  private async recordOutcome(id: string, pos: number | null, version: number): Promise<void> {
    await this.d.store.update(id, (r) => transition(r, { type: 'applied', position: pos, version }, this.ctx()));
  }

  /** Performs pending effects of every request (start-up recovery after a crash). */
  async recover(): Promise<number> {
    const ids = await this.d.store.requestsWithEffects();
    for (const id of ids) {
      try {
        await this.flush(id);
      } catch (err) {
        this.d.logger.error({ err, requestId: id }, 'could not perform pending effects');
      }
    }
    return ids.length;
  }
}
