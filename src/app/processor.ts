import { createHash } from 'node:crypto';
import type { DNSResolver } from 'mailauth';
import { ZodError } from 'zod';
import { verifyDkim } from '../adapters/auth/dkim.ts';
import { rawHeaderValues } from '../adapters/auth/headers.ts';
import { MimeError, parseRawIsolated } from '../adapters/mime/index.ts';
import { authorizeReply, coordinatorSender, explainAuthFailure } from '../domain/coordinator-auth.ts';
import { domainOf, normaliseAddress, type MailInput } from '../domain/mail.ts';
import type { OutgoingMail } from '../domain/outgoing.ts';
import { parseReplyCommand, readFieldLines } from '../domain/reply-command.ts';
import {
  createPossibleRequest,
  createRequest,
  findDuplicate,
  isFreemail,
  isPossibleNonce,
  missingLabel,
  OPEN_STATUSES,
  type FlowEvent,
  type KnownOrganisation,
  type PossibleReason,
  type RequestRecord,
} from '../domain/request.ts';
import {
  describeFailure,
  ourOrganisationMail,
  outcomeOf,
  readDeliveryReport,
  recipientFor,
} from '../domain/delivery-report.ts';
import type { StatementVersion } from '../domain/statement.ts';
import { findTokenRefs, newRequestId, subjectRequestId } from '../domain/token.ts';
import { understand, type Reading } from '../domain/understand/index.ts';
import { flowSettings, type Flow } from './flow.ts';
import { mailLanguage, type TemplateName, type TemplateVars } from './mail-catalog.ts';
import type { InboundJob } from './queues.ts';

/**
 * The processor's use case: one received message, start to end.
 *
 *   bounce about our mail to an organisation    → recorded on its request, coordinators told once; never answered
 *   auto-reply, other bounce                    → nothing, never answered (RFC 3834)
 *   possible request sent by a machine          → shown to the coordinators, its From never answered
 *   other automatic mail                        → nothing, never answered (RFC 3834)
 *   reply carrying an approval token            → coordinator decision (after every auth rule)
 *   reply threaded to a request by its sender   → the organisation adds fields
 *   possible request (the reader is not sure)   → shown to the coordinators to open or close; sender told nothing
 *   join_request                                → duplicate? answer it : new request
 *   withdrawal from a signatory's address       → withdrawal request
 *   other                                       → forwarded to coordinators or left (UNRELATED_MAIL)
 *
 * Nothing lost, nothing twice: the raw message stays in the spool until this
 * returns (a crash means the job is retried); every state change is atomic
 * and keyed by the received Message-ID; every mail has a deterministic id
 * (request effects, or `in.<message key>.<what>`), so a retry re-queues
 * nothing that was already queued.
 */

export interface ProcessorDeps {
  flow: Flow;
  spool: { get(key: string): Promise<Buffer | null>; delete(key: string): Promise<boolean> };
  registry: { current(): Promise<StatementVersion | null> };
  resolver?: DNSResolver | undefined;
}

export type InboundOutcome =
  | 'gone'
  | 'unreadable'
  | 'automatic'
  | 'decision'
  | 'replay'
  | 'unauthenticated'
  | 'unknown_request'
  | 'org_reply'
  | 'request_created'
  | 'possible_request'
  | 'already_created'
  | 'already_signatory'
  | 'already_pending'
  | 'withdrawal_created'
  | 'forwarded'
  | 'left'
  | 'undeliverable'
  | 'delivery_delayed';

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 24);
}

/** Id for a mail answering one received message: same message, same id. */
function inboundMailId(jobKey: string, what: string): string {
  return `in.${shortHash(jobKey)}.${what}`;
}

/** Our own mails to organisations carry the request id in their Message-ID (REQ-7F3K2.3.acknowledgement@…). */
function threadRequestId(mail: MailInput): string | null {
  for (const id of [mail.inReplyTo ?? '', ...[...mail.references].reverse()]) {
    const m = /<(REQ-[2-9A-Z]{5,8})\.\d+\.[a-z_]+@/i.exec(id);
    if (m) return (m[1] as string).toUpperCase();
  }
  return subjectRequestId(mail.subject);
}

export class Processor {
  constructor(private readonly d: ProcessorDeps) {}

  private get f(): Flow {
    return this.d.flow;
  }
  private get config() {
    return this.d.flow.d.config;
  }
  private get log() {
    return this.d.flow.d.logger;
  }

  async handle(job: InboundJob): Promise<InboundOutcome> {
    const raw = await this.d.spool.get(job.key);
    if (!raw) {
      this.log.info({ key: job.key }, 'message already processed (not in the spool)');
      return 'gone';
    }
    let outcome: InboundOutcome;
    try {
      const mail = await parseRawIsolated(raw);
      outcome = await this.route(mail, raw, job);
    } catch (err) {
      if (!(err instanceof MimeError)) throw err;
      this.log.warn({ key: job.key, err }, 'unreadable message left alone');
      outcome = 'unreadable';
    }
    this.log.info({ key: job.key, uid: job.uid, outcome }, 'message processed');
    await this.f.d.hook?.('processed', job.key);
    await this.d.spool.delete(job.key);
    return outcome;
  }

  private async route(mail: MailInput, raw: Buffer, job: InboundJob): Promise<InboundOutcome> {
    const config = this.config;
    const reading = understand(mail, {
      coalitionAddress: config.COALITION_ADDRESS,
      knownCoordinators: config.COORDINATORS,
    });
    const messageRef = mail.messageId ?? `key:${job.key}`;
    // RFC 3834: never answer automatic mail — not even a coordinator's out-of-office that quotes a token. A
    // person's request sent by a machine (a web form) is shown to the coordinators; its From is never answered.
    const machine = reading.kind === 'auto_reply' || reading.kind === 'bounce';
    if (!machine && reading.automatic && reading.possible) {
      return this.possibleRequest(mail, raw, reading, job, messageRef);
    }
    if (reading.kind === 'bounce') {
      const reported = await this.deliveryReport(mail, raw, job, messageRef);
      if (reported) return reported;
    }
    if (reading.automatic || machine) return 'automatic';

    const refs = findTokenRefs(mail.inReplyTo, mail.references);
    const fromCoordinator = coordinatorSender(mail, config.COORDINATORS).ok;
    if (refs.length > 0 || (fromCoordinator && subjectRequestId(mail.subject))) {
      return this.coordinatorReply(mail, raw, job, messageRef);
    }

    const threaded = threadRequestId(mail);
    if (threaded) {
      const r = await this.f.d.store.get(threaded);
      if (r && this.fromOrganisation(mail, r)) {
        if (OPEN_STATUSES.includes(r.status)) {
          const read = reading.organization ?? { name: null, acronym: null, city: null, website: null };
          const lines = readFieldLines(mail.text);
          const org = {
            name: lines.name ?? read.name,
            acronym: lines.acronym ?? read.acronym,
            city: lines.city ?? read.city,
            website: lines.website ?? read.website,
          };
          const event: FlowEvent = {
            type: 'org_reply',
            from: normaliseAddress(mail.from[0]?.address ?? ''),
            // An organisation's reply names itself again in its signature: only fields still missing, or explicitly new, count.
            organization: {
              name: r.organization.name && !lines.name ? null : org.name,
              acronym: org.acronym,
              city: org.city,
              website: org.website,
            },
            via: messageRef,
          };
          await this.f.apply(r.id, event);
          return 'org_reply';
        }
        if (reading.kind !== 'join_request' && !reading.possible) return this.other(mail, job);
      }
    }

    // A coordinator's own mail is never a request to show back to the coordinators (a forwarded one is).
    if (reading.possible && (reading.forwarded || !fromCoordinator)) {
      return this.possibleRequest(mail, raw, reading, job, messageRef);
    }
    if (reading.kind === 'join_request') return this.joinRequest(mail, raw, reading, job, messageRef);
    if (reading.kind === 'withdrawal') return this.withdrawal(mail, raw, reading, job, messageRef);
    return this.other(mail, job);
  }

  /** A reply to a request comes from its sender's address, or another address of the same (non free-mail) domain. */
  private fromOrganisation(mail: MailInput, r: RequestRecord): boolean {
    if (mail.from.length !== 1) return false;
    const from = normaliseAddress(mail.from[0]?.address ?? '');
    if (from === r.senderAddress || from === r.replyAddress) return true;
    const dom = domainOf(from);
    return !isFreemail(dom) && (dom === domainOf(r.senderAddress) || dom === domainOf(r.replyAddress));
  }

  // ------------------------------------------------------------ coordinators

  private async coordinatorReply(
    mail: MailInput,
    raw: Buffer,
    job: InboundJob,
    messageRef: string,
  ): Promise<InboundOutcome> {
    const config = this.config;
    const dkim =
      config.COORDINATOR_AUTH === 'dkim' && !config.AUTHSERV_ID ? await verifyDkim(raw, this.d.resolver) : undefined;
    const verdict = authorizeReply({
      mail,
      coordinators: config.COORDINATORS,
      mode: config.COORDINATOR_AUTH,
      secret: this.f.d.secret,
      authservId: config.AUTHSERV_ID,
      // As received: the parsed headers have sender-written encoded words decoded into them.
      authenticationResults: config.AUTHSERV_ID ? rawHeaderValues(raw, 'authentication-results') : undefined,
      dkim,
    });
    const fromText = mail.from.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ') || '(no From)';
    if (!verdict.ok && verdict.reason === 'no_token' && this.answersOurNotice(mail)) {
      // A coordinator answering one of our notices (a warning, a forwarded mail): nothing to decide, nobody to warn.
      this.log.info(
        { key: job.key, from: fromText },
        'coordinator reply to a notice without a token: left in the mailbox',
      );
      return 'left';
    }
    if (!verdict.ok) {
      this.log.warn(
        {
          key: job.key,
          messageId: mail.messageId,
          from: fromText,
          reason: verdict.reason,
          detail: verdict.detail,
          requestId: verdict.requestId,
        },
        'decision refused: not authenticated',
      );
      const requestId = verdict.requestId ?? subjectRequestId(mail.subject);
      const known = requestId ? await this.f.d.store.get(requestId) : null;
      if (known) {
        await this.f.d.store.audit(
          known.id,
          {
            event: 'unauthenticated_attempt',
            by: fromText,
            via: messageRef,
            detail: `${verdict.reason}: ${verdict.detail}`,
          },
          this.f.d.clock(),
        );
      }
      // One warning per sender, request and failure per hour: a forger re-sending the same attempt cannot flood
      // the coordinators (every attempt is still logged and, for a known request, audited).
      const hour = Math.floor(this.f.d.clock().getTime() / 3_600_000);
      const warningKey = `${fromText.toLowerCase()}|${known?.id ?? '-'}|${verdict.reason}|${verdict.detail}|${hour}`;
      await this.sendToCoordinators(inboundMailId(warningKey, 'unauthenticated_attempt'), 'unauthenticated_attempt', {
        reference: known?.id ?? null,
        from: fromText,
        reason: explainAuthFailure(verdict.reason, verdict.detail),
      });
      return 'unauthenticated';
    }
    const request = await this.f.d.store.get(verdict.ref.requestId);
    if (!request) {
      this.log.warn({ key: job.key, requestId: verdict.ref.requestId }, 'decision for an unknown request ignored');
      return 'unknown_request';
    }
    const cmd = parseReplyCommand(mail.text);
    const by = verdict.coordinator;
    const via = messageRef;
    // A reply to a possible-request mail opens or closes it, whatever happened meanwhile: never an approval.
    const possible = isPossibleNonce(verdict.ref.nonce);
    let event: FlowEvent;
    switch (cmd.type) {
      case 'approve':
        event = possible
          ? { type: 'open', by, corrections: cmd.corrections, via }
          : { type: 'decide', by, decision: 'approve', corrections: cmd.corrections, via };
        break;
      case 'open':
        event = { type: 'open', by, corrections: cmd.corrections, via };
        break;
      case 'reject':
        event = possible
          ? { type: 'close', by, reason: cmd.reason, via }
          : { type: 'decide', by, decision: 'reject', reason: cmd.reason, shareReason: cmd.shareReason, via };
        break;
      case 'info':
        event = { type: 'info', by, question: cmd.question, via };
        break;
      case 'undo':
        event = { type: 'undo', by, via };
        break;
      case 'correct':
        event = { type: 'correct', by, corrections: cmd.corrections, via };
        break;
      case 'unclear':
        event = { type: 'unclear', by, problem: cmd.problem, via };
        break;
    }
    const res = await this.f.apply(request.id, event, {
      tokenUse: { coordinator: by, replyMessageId: messageRef, requestId: request.id },
    });
    if ('replay' in res && res.replay) {
      this.log.warn(
        { key: job.key, requestId: request.id, by, messageId: mail.messageId },
        'replayed decision ignored',
      );
      return 'replay';
    }
    this.log.info({ requestId: request.id, by, command: cmd.type, via: verdict.via }, 'coordinator reply applied');
    return 'decision';
  }

  // ------------------------------------------------------------ organisations

  private async known(): Promise<{ signatories: KnownOrganisation[]; open: KnownOrganisation[] }> {
    const version = await this.d.registry.current();
    const signatories = (version?.signatories ?? []).map((s, i) => ({
      id: s.id,
      name: s.name,
      acronym: s.acronym,
      emails: s.contactEmail ? [s.contactEmail] : [],
      position: i + 1,
    }));
    // A possible request (unclear) is no pending request: its sender was never told of it.
    const open = (await this.f.d.store.open())
      .filter((r) => r.status !== 'unclear')
      .map((r) => ({
        id: r.id,
        name: r.organization.name ?? '',
        acronym: r.organization.acronym,
        emails: [r.senderAddress, r.replyAddress],
        kind: r.kind,
      }));
    return { signatories, open: open.filter((o) => o.kind === 'join') };
  }

  /**
   * A message handed in again (a retried job after a crash) whose request was
   * already created: only the effects left unperformed are carried out.
   */
  private async finishExisting(messageRef: string, raw: Buffer): Promise<boolean> {
    const existing = await this.f.d.store.idForMessage(messageRef);
    if (!existing) return false;
    await this.f.flush(existing, raw);
    return true;
  }

  private async joinRequest(
    mail: MailInput,
    raw: Buffer,
    reading: Reading,
    job: InboundJob,
    messageRef: string,
  ): Promise<InboundOutcome> {
    const store = this.f.d.store;
    if (await this.finishExisting(messageRef, raw)) return 'already_created';
    // A request a coordinator forwarded belongs to the organisation named inside, not to the coordinator.
    const sender = normaliseAddress(
      (reading.forwarded ? reading.contact?.email : null) ?? mail.from[0]?.address ?? reading.contact?.email ?? '',
    );
    const replyAddress = normaliseAddress(reading.contact?.email ?? mail.replyTo[0]?.address ?? sender);
    const org = reading.organization ?? { name: null, acronym: null, city: null, website: null };
    const language = reading.language ?? this.config.DEFAULT_LANGUAGE;
    const thread = this.threadOf(mail);
    // Taken before the duplicate check reads: the request is stored only if nothing changed since (see below).
    const seen = await store.snapshot();
    const { signatories, open } = await this.known();
    const sig = findDuplicate(org, sender, signatories);
    if (sig) {
      await this.sendToOrg(
        inboundMailId(job.key, 'already_signatory'),
        'already_signatory',
        replyAddress,
        language,
        thread,
        {
          organizationName: sig.org.name,
          position: sig.org.position ?? 1,
        },
      );
      this.log.info({ key: job.key, signatory: sig.org.id, on: sig.on }, 'join request from a signatory');
      return 'already_signatory';
    }
    const pending = findDuplicate(org, sender, open);
    if (pending) {
      await this.sendToOrg(
        inboundMailId(job.key, 'already_pending'),
        'already_pending',
        replyAddress,
        language,
        thread,
        {
          reference: pending.org.id,
          organizationName: pending.org.name || org.name || sender,
        },
      );
      await store.audit(pending.org.id, {
        event: 'duplicate_request',
        by: sender,
        via: messageRef,
        detail: `matched on ${pending.on}`,
      });
      return 'already_pending';
    }
    const missing = reading.missing.map((m) => missingLabel(m, language));
    const result = createRequest(
      {
        id: newRequestId(),
        kind: 'join',
        organization: org,
        contact: reading.contact,
        replyAddress,
        senderAddress: sender,
        language,
        originalMessageId: mail.messageId,
        sourceKey: job.key,
        references: mail.references,
        originalSubject: mail.subject,
        excerpt: excerpt(mail.text),
        missing,
        receivedAt: mail.date ?? this.f.d.clock(),
      },
      this.f.ctx(),
    );
    // Atomic with the duplicate check: when another processor created or closed a request (or the registry
    // changed) since `seen`, nothing is stored and the message is looked at again from the start.
    const { id, stale } = await store.create(result, messageRef, { unchangedSince: seen });
    if (stale) return this.joinRequest(mail, raw, reading, job, messageRef);
    await this.f.d.hook?.('created', id);
    await this.f.flush(id, raw);
    return 'request_created';
  }

  /**
   * A mail that may be a join request: stored as `unclear` and shown to every coordinator, each with
   * their own token, the original attached. Its sender is told nothing until a coordinator opens it;
   * the address the acknowledgement will then go to is chosen here: the contact the mail names, never
   * the From of a mail sent by a machine (RFC 3834).
   */
  private async possibleRequest(
    mail: MailInput,
    raw: Buffer,
    reading: Reading,
    job: InboundJob,
    messageRef: string,
  ): Promise<InboundOutcome> {
    const store = this.f.d.store;
    if (await this.finishExisting(messageRef, raw)) return 'already_created';
    const from = normaliseAddress(mail.from[0]?.address ?? '');
    const contactEmail = reading.contact?.email ? normaliseAddress(reading.contact.email) : null;
    // A request a coordinator forwarded belongs to the organisation named inside, not to the coordinator.
    const sender = (reading.forwarded && contactEmail) || from || contactEmail || '';
    const replyTo = mail.replyTo.map((a) => normaliseAddress(a.address)).find((a) => a !== from) ?? null;
    const candidates = reading.automatic
      ? [contactEmail, replyTo].filter((a) => a !== from)
      : [contactEmail, replyTo, sender];
    const replyAddress = candidates.find((a): a is string => !!a && !machineAddress(a)) ?? null;
    const org = reading.organization ?? { name: null, acronym: null, city: null, website: null };
    const language = reading.language ?? this.config.DEFAULT_LANGUAGE;
    // A mail whose wording was too weak to read as a request had no fields read: ask for them once opened.
    const wanted = reading.kind === 'join_request' ? reading.missing : ['organization.name', 'contact.name'];
    const values: Record<string, string | null> = {
      'organization.name': org.name,
      'contact.name': reading.contact?.name ?? null,
      'contact.email': replyAddress,
    };
    const missing = wanted.filter((m) => !(m in values) || !values[m]).map((m) => missingLabel(m, language));
    const { signatories, open } = await this.known();
    // The domain of a machine's From (a form service) says nothing about the organisation.
    const matchAddress = reading.automatic ? (replyAddress ?? '') : sender;
    const sig = findDuplicate(org, matchAddress, signatories);
    const pending = sig ? null : findDuplicate(org, matchAddress, open);
    const resembles = sig
      ? `${sig.org.position ?? '?'}. ${sig.org.name}`
      : pending
        ? `${pending.org.id} ${pending.org.name}`.trim()
        : null;
    const reason: PossibleReason = reading.possibleReason ?? 'weak_wording';
    const result = createPossibleRequest(
      {
        id: newRequestId(),
        organization: org,
        contact: reading.contact,
        replyAddress,
        senderAddress: sender,
        language,
        originalMessageId: mail.messageId,
        sourceKey: job.key,
        references: mail.references,
        originalSubject: mail.subject,
        excerpt: excerpt(mail.text),
        missing,
        receivedAt: mail.date ?? this.f.d.clock(),
        reason,
        automatic: reading.automatic,
        resembles,
      },
      this.f.ctx(),
    );
    const { id } = await store.create(result, messageRef);
    await this.f.d.hook?.('created', id);
    await this.f.flush(id, raw);
    this.log.info({ key: job.key, requestId: id, reason }, 'possible request shown to the coordinators');
    return 'possible_request';
  }

  private async withdrawal(
    mail: MailInput,
    raw: Buffer,
    reading: Reading,
    job: InboundJob,
    messageRef: string,
  ): Promise<InboundOutcome> {
    const store = this.f.d.store;
    if (await this.finishExisting(messageRef, raw)) return 'already_created';
    const from = normaliseAddress(mail.from[0]?.address ?? '');
    const addresses = new Set([from, ...mail.replyTo.map((a) => normaliseAddress(a.address))]);
    const version = await this.d.registry.current();
    const sig = version?.signatories.find((s) => s.contactEmail && addresses.has(normaliseAddress(s.contactEmail)));
    if (!sig || mail.from.length !== 1) {
      this.log.info({ key: job.key, from }, 'withdrawal from an address no signatory is known by');
      return this.other(mail, job);
    }
    const openWithdrawal = (await store.open()).find((r) => r.kind === 'withdrawal' && r.signatoryId === sig.id);
    if (openWithdrawal) {
      await store.audit(openWithdrawal.id, { event: 'duplicate_request', by: from, via: messageRef });
      return 'already_pending';
    }
    const language = reading.language ?? this.config.DEFAULT_LANGUAGE;
    const result = createRequest(
      {
        id: newRequestId(),
        kind: 'withdrawal',
        organization: { name: sig.name, acronym: sig.acronym, city: sig.city, website: sig.website },
        contact: reading.contact,
        replyAddress: sig.contactEmail ?? from,
        senderAddress: from,
        language,
        originalMessageId: mail.messageId,
        sourceKey: job.key,
        references: mail.references,
        originalSubject: mail.subject,
        excerpt: excerpt(mail.text),
        missing: [],
        signatoryId: sig.id,
        receivedAt: mail.date ?? this.f.d.clock(),
      },
      this.f.ctx(),
    );
    const { id } = await store.create(result, messageRef);
    await this.f.flush(id, raw);
    return 'withdrawal_created';
  }

  /** In-Reply-To is one of our own mails that carries no token (in.<hash>.<what>@our-domain). */
  private answersOurNotice(mail: MailInput): boolean {
    const ours = `@${domainOf(this.config.COALITION_ADDRESS)}>`;
    const id = (mail.inReplyTo ?? '').toLowerCase();
    return id.startsWith('<in.') && id.endsWith(ours);
  }

  private async other(mail: MailInput, job: InboundJob): Promise<InboundOutcome> {
    // Only UNRELATED_MAIL=forward sends it on; otherwise it stays where the watcher put it.
    if (this.config.UNRELATED_MAIL !== 'forward') return 'left';
    // Never forward the coordinators' own mail back to them.
    if (coordinatorSender(mail, this.config.COORDINATORS).ok) return 'left';
    await this.sendToCoordinators(inboundMailId(job.key, 'other_forward'), 'other_forward', {
      from: mail.from.map((a) => a.address).join(', ') || '(no From)',
      subject: mail.subject,
      excerpt: excerpt(mail.text, 2000),
    });
    return 'forwarded';
  }

  // ------------------------------------------------------------ delivery reports

  /**
   * A delivery report about one of our mails to an organisation: a DSN, or our own SMTP server refusing the
   * recipient (the mailer hands that in as a DSN, see src/adapters/smtp/refusal.ts). It is linked by our
   * Message-ID (returned message or headers, X-Original-Message-ID, In-Reply-To), else by its recipient to
   * the one open request with that contact address. A failure is recorded on the request as
   * "contact_undeliverable" and told to the coordinators once per request; a delay is only recorded.
   * Never answered (RFC 3834). Null when it is about no request of ours.
   */
  private async deliveryReport(
    mail: MailInput,
    raw: Buffer,
    job: InboundJob,
    messageRef: string,
  ): Promise<InboundOutcome | null> {
    const store = this.f.d.store;
    const report = readDeliveryReport(mail, bodyAfterHeaders(raw));
    let request: RequestRecord | null = null;
    let ourMail = 'other';
    for (const id of report.messageIds) {
      const ours = ourOrganisationMail(id, this.config.COALITION_ADDRESS);
      request = ours ? await store.get(ours.requestId) : null;
      if (request && ours) {
        ourMail = ours.mail;
        break;
      }
    }
    if (!request) {
      const named = new Set(report.recipients.flatMap((r) => [r.original, r.final]).filter((a) => a !== null));
      const candidates = (await store.open()).filter((r) => r.replyAddress && named.has(r.replyAddress));
      if (candidates.length !== 1) return null;
      request = candidates[0] as RequestRecord;
    }
    const rcpt = recipientFor(report, request.replyAddress);
    const outcome = rcpt ? outcomeOf(rcpt) : 'delivered';
    if (!rcpt || outcome === 'delivered') return null;
    const address = rcpt.original ?? rcpt.final ?? request.replyAddress;
    const reason = describeFailure(rcpt);
    const event = outcome === 'undeliverable' ? 'contact_undeliverable' : 'delivery_delayed';
    // A retried job finds its entry: recorded once per report.
    if (!request.audit.some((a) => a.event === event && a.via === messageRef)) {
      await store.audit(
        request.id,
        { event, by: mail.from[0]?.address ?? null, via: messageRef, detail: `${address}: ${reason} (${ourMail})` },
        this.f.d.clock(),
      );
    }
    this.log.warn({ key: job.key, requestId: request.id, address, reason, mail: ourMail }, `delivery report: ${event}`);
    if (outcome !== 'undeliverable') return 'delivery_delayed';
    // Once per request: only the first failure tells them, under one mail id (the outbox sends an id once).
    const first = (await store.get(request.id))?.audit.find((a) => a.event === 'contact_undeliverable');
    if (first?.via === messageRef) {
      await this.sendToCoordinators(inboundMailId(`undeliverable|${request.id}`, 'contact_undeliverable'), 'contact_undeliverable', {
        reference: request.id,
        organizationName: request.organization.name ?? request.organization.acronym ?? '-',
        address,
        reason,
        mail: ourMail === 'acknowledgement' ? 'acknowledgement' : 'other',
      });
    }
    return 'undeliverable';
  }

  // ------------------------------------------------------------ mail helpers

  private threadOf(mail: MailInput): { inReplyTo?: string; references?: string[] } {
    if (!mail.messageId || !/^<[^<>\s]+>$/.test(mail.messageId)) return {};
    const refs = [...mail.references, mail.messageId].filter((r) => /^<[^<>\s]+>$/.test(r)).slice(-20);
    return { inReplyTo: mail.messageId, references: refs };
  }

  private async sendToOrg<N extends TemplateName>(
    id: string,
    template: N,
    to: string,
    language: string,
    thread: { inReplyTo?: string; references?: string[] },
    vars: TemplateVars<N>,
  ): Promise<void> {
    const d = this.f.d;
    const rendered = d.templates.render(template, mailLanguage(this.config, language), vars);
    const mail: OutgoingMail = { id, to: [to], ...rendered, ...thread, autoSubmitted: 'auto-replied' };
    await this.queue(mail);
  }

  /**
   * Queues a mail; one the outbox refuses (an address from the received mail it does not accept) is logged and
   * dropped, as flow.flush does: no retry can change the verdict, and the message must still finish.
   */
  private async queue(mail: OutgoingMail): Promise<void> {
    try {
      await this.f.d.outbox.send(mail);
    } catch (err) {
      if (!(err instanceof ZodError)) throw err;
      this.log.error({ err, mailId: mail.id, to: mail.to }, 'mail refused');
    }
  }

  private async sendToCoordinators<N extends TemplateName>(
    id: string,
    template: N,
    vars: TemplateVars<N>,
  ): Promise<void> {
    const d = this.f.d;
    const rendered = d.templates.render(template, mailLanguage(this.config, null), vars);
    const to = flowSettings(this.config).coordinators;
    await this.queue({ id, to: [...to], ...rendered, autoSubmitted: 'auto-generated' });
  }
}

/** Addresses no person reads (no-reply, mailer-daemon …): never where an acknowledgement goes. */
function machineAddress(address: string): boolean {
  const local = (address.split('@')[0] ?? '').toLowerCase();
  return /^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?|notifications?)(?:-.*)?$/.test(
    local.replace(/[_.+]/g, '-'),
  );
}

/** Everything after the message's own header block, as received (where a DSN's returned part is). */
function bodyAfterHeaders(raw: Buffer): string {
  const text = raw.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  return end ? text.slice(end.index + end[0].length) : '';
}

function excerpt(text: string, max = 1500): string {
  const t = text.replace(/\r\n?/g, '\n').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
