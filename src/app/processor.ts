import { createHash } from 'node:crypto';
import { ZodError } from 'zod';
import {
  authorizeDigestReply,
  authorizeReply,
  checkAuthenticationResults,
  checkDkimEvidence,
  coordinatorSender,
  explainAuthFailure,
  type AuthVerdict,
  type DigestVerdict,
} from '../domain/coordinator-auth.ts';
import { digestNonce, lineOutcome, parseDigestReply } from '../domain/digest.ts';
import { explain } from '../domain/explanation.ts';
import type { CapCause } from '../domain/mail-caps.ts';
import { domainOf, isMachineAddress, normaliseAddress, type MailInput } from '../domain/mail.ts';
import type { OutgoingMail } from '../domain/outgoing.ts';
import { parseReplyCommand, readFieldLines, visibleHtml, type ReplyCommand } from '../domain/reply-command.ts';
import {
  addressTag,
  createPossibleRequest,
  createRequest,
  findDuplicate,
  lookupEntries,
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
import { normaliseName, type StatementVersion } from '../domain/statement.ts';
import { digestMessageIdLocal, findDigestRefs, findTokenRefs, newRequestId, subjectRequestId } from '../domain/token.ts';
import { understand, type Reading } from '../domain/understand/index.ts';
import { flowSettings, orgMessageIdLocal, orgThreadRequest, type Flow } from './flow.ts';
import { mailLanguage, type TemplateName, type TemplateVars } from '../contracts/mail-catalog.ts';
import type { InboundJob } from '../contracts/queues.ts';
import { isRobot, shouldAnswer } from '../domain/disposition.ts';
import { decodeReading } from './handed-reading.ts';
import { UnreadableMail, type MailReader, type SenderAuthenticity } from './ports.ts';

/**
 * The processor's use case: one received message, start to end.
 *
 *   bounce about our mail to an organisation    → recorded on its request, coordinators told once; never answered
 *   auto-reply, other bounce                    → nothing, never answered (RFC 3834)
 *   possible request sent by a machine          → shown to the coordinators, its From never answered
 *   other automatic mail                        → nothing, never answered (RFC 3834)
 *   reply carrying an approval token            → coordinator decision (after every auth rule)
 *   reply carrying a digest token               → one decision per line for the requests that digest listed
 *                                                  (after every auth rule), one summary back
 *   reply citing our mail to exactly its From   → the organisation adds fields to its own request, or its
 *                                                  registered contact confirms (or denies) a withdrawal
 *   possible request (the reader is not sure)   → shown to the coordinators to open or close; sender told nothing
 *   join_request                                → duplicate? answer it : new request
 *   withdrawal From a signatory's address       → withdrawal request, confirmed by that address first
 *   other                                       → forwarded to coordinators or left (UNRELATED_MAIL)
 *
 * Nothing lost, nothing twice: the raw message stays in the spool until this
 * returns (a crash means the job is retried); every state change is atomic
 * and keyed by the received Message-ID; every mail has a deterministic id
 * (request effects, or `in.<message key>.<what>`), so a retry re-queues
 * nothing that was already queued.
 *
 * Who is written to: only the From of a mail (one From, a person's, none of
 * ours, not a list, not a coordinator), never a Reply-To, an address in the
 * body or one in a quoted forward: those are shown to the coordinators as a
 * proposed contact. Every mail counts against the caps of mail-caps.ts.
 */

export interface ProcessorDeps {
  flow: Flow;
  spool: {
    get(key: string): Promise<Buffer | null>;
    delete(key: string): Promise<boolean>;
    /** The watcher's reading of the message, handed over with it (handed-reading.ts). */
    reading?(key: string): Promise<string | null>;
  };
  registry: { current(): Promise<StatementVersion | null> };
  reader: MailReader;
  authenticity: SenderAuthenticity;
}

export type InboundOutcome =
  | 'gone'
  | 'unreadable'
  | 'automatic'
  | 'decision'
  | 'replay'
  /** A digest reply of which no line was applied (each refusal told back in its summary). */
  | 'digest_refused'
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

/** The one From address of a mail, normalised; '' when it has none or several. */
function singleFrom(mail: MailInput): string {
  if (mail.from.length !== 1 || (mail.headers['from']?.length ?? 0) > 1) return '';
  return normaliseAddress(mail.from[0]?.address ?? '');
}

/** An address fit to show in a mail to the coordinators: a plain one, or nothing of what the sender wrote. */
function plainAddress(address: string): string {
  return /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}$/.test(address) ? address : '(an address that is not plain)';
}

/**
 * The text a reader of the mail sees: its text part when it has one; for HTML-only mail, the HTML
 * without what is hidden (display:none, zero-size text …), which the MIME adapter's text still holds.
 */
export function readableText(mail: MailInput, htmlText: (html: string) => string): string {
  if (mail.html === null) return mail.text;
  const converted = htmlText(mail.html).replace(/\r\n/g, '\n').trim();
  if (mail.text.trim() !== '' && mail.text.trim() !== converted) return mail.text;
  return htmlText(visibleHtml(mail.html));
}

/** What a coordinator's reply command asks of the request (a reply to a possible-request mail opens or closes it). */
function replyEvent(cmd: ReplyCommand, nonce: string, by: string, via: string): FlowEvent {
  // A reply to a possible-request mail opens or closes it, whatever happened meanwhile: never an approval.
  const possible = isPossibleNonce(nonce);
  switch (cmd.type) {
    case 'approve':
      return possible
        ? { type: 'open', by, corrections: cmd.corrections, via }
        : { type: 'decide', by, decision: 'approve', corrections: cmd.corrections, via, nonce };
    case 'open':
      return { type: 'open', by, corrections: cmd.corrections, via };
    case 'reject':
      return possible
        ? { type: 'close', by, reason: cmd.reason, via }
        : { type: 'decide', by, decision: 'reject', reason: cmd.reason, shareReason: cmd.shareReason, via, nonce };
    case 'info':
      return { type: 'info', by, question: cmd.question, via };
    case 'undo':
      return { type: 'undo', by, via };
    case 'correct':
      return { type: 'correct', by, corrections: cmd.corrections, via };
    case 'unclear':
      return { type: 'unclear', by, problem: cmd.problem, via };
  }
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
      // Read once: the watcher's reading when it came along, else the message is read here.
      const handed = decodeReading(await this.d.spool.reading?.(job.key));
      if (handed) {
        outcome = await this.route(handed.mail, raw, job, handed.reading);
      } else {
        const read = await this.d.reader.read(raw);
        if (!read.ok) throw new UnreadableMail(read.reason);
        outcome = await this.route(read.mail, raw, job);
      }
    } catch (err) {
      if (!(err instanceof UnreadableMail)) throw err;
      this.log.warn({ key: job.key, err }, 'unreadable message left alone');
      outcome = 'unreadable';
    }
    this.log.info({ key: job.key, uid: job.uid, outcome }, 'message processed');
    await this.f.d.hook?.('processed', job.key);
    await this.d.spool.delete(job.key);
    return outcome;
  }

  private async route(mail: MailInput, raw: Buffer, job: InboundJob, handed?: Reading): Promise<InboundOutcome> {
    const config = this.config;
    const reading =
      handed ??
      understand(mail, {
        coalitionAddress: config.COALITION_ADDRESS,
        knownCoordinators: config.COORDINATORS,
      });
    const messageRef = mail.messageId ?? `key:${job.key}`;
    // RFC 3834: never answer automatic mail — not even a coordinator's out-of-office that quotes a token. A
    // person's request sent by a machine (a web form) is shown to the coordinators; its From is never answered.
    const machine = isRobot(reading);
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
    // A reply to a digest (one line per request) cites the digest's token and no request's own.
    if (refs.length === 0 && findDigestRefs(mail.inReplyTo, mail.references).length > 0) {
      return this.digestReply(mail, raw, job, messageRef);
    }
    if (refs.length > 0 || (fromCoordinator && subjectRequestId(mail.subject))) {
      return this.coordinatorReply(mail, raw, job, messageRef);
    }

    // An organisation's reply counts only from that request's own contact address, citing one of our mails
    // to that very address (its Message-ID carries a tag made for it): never a subject, a guessed Message-ID,
    // or another address of the same domain.
    const from = singleFrom(mail);
    const threaded = from
      ? orgThreadRequest(this.f.d.secret, domainOf(config.COALITION_ADDRESS), from, mail.inReplyTo, mail.references)
      : null;
    if (threaded) {
      const r = await this.f.d.store.get(threaded);
      if (r && r.replyAddress && from === r.replyAddress) {
        if (r.kind === 'withdrawal' && r.status === 'awaiting_confirmation') {
          const cmd = parseReplyCommand(readableText(mail, this.d.reader.htmlText));
          const answer = cmd.type === 'approve' ? 'confirm' : cmd.type === 'reject' ? 'deny' : 'unclear';
          await this.f.apply(r.id, { type: 'contact_answer', from, answer, via: messageRef }, { cause: from });
          return 'org_reply';
        }
        if (r.kind === 'join' && OPEN_STATUSES.includes(r.status)) {
          const read = reading.organization ?? { name: null, acronym: null, city: null, website: null };
          const lines = readFieldLines(readableText(mail, this.d.reader.htmlText));
          const org = {
            name: lines.name ?? read.name,
            acronym: lines.acronym ?? read.acronym,
            city: lines.city ?? read.city,
            website: lines.website ?? read.website,
          };
          const event: FlowEvent = {
            type: 'org_reply',
            from,
            // An organisation's reply names itself again in its signature: only fields still missing, or explicitly new, count.
            organization: {
              name: r.organization.name && !lines.name ? null : org.name,
              acronym: org.acronym,
              city: org.city,
              website: org.website,
            },
            via: messageRef,
          };
          await this.f.apply(r.id, event, { cause: from, takenNames: await this.takenNames() });
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

  /** Normalised names of the current signatories: a correction to one of them is refused, as the registry would. */
  private async takenNames(): Promise<string[]> {
    return ((await this.d.registry.current())?.signatories ?? []).map((s) => normaliseName(s.name));
  }

  /**
   * May the desk write to this address by itself? Never to our own address, the coalition list, a
   * coordinator (an organisation is never a coordinator), or a machine's address.
   */
  private answerable(address: string | null | undefined): address is string {
    if (!address || !/^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/.test(address)) return false;
    const a = normaliseAddress(address);
    const c = this.config;
    if (a === normaliseAddress(c.COALITION_ADDRESS)) return false;
    if (c.COALITION_LIST.some((l) => normaliseAddress(l) === a)) return false;
    if (c.COORDINATORS.some((k) => normaliseAddress(k) === a)) return false;
    return !isMachineAddress(a);
  }

  /** The From of this mail may be answered: answerable, and the mail is no list's (RFC 3834 §2, RFC 2919). */
  private answerableFrom(mail: MailInput, from: string, reading: Reading): boolean {
    return this.answerable(from) && shouldAnswer(mail, reading);
  }

  /**
   * Whether our receiving server's Authentication-Results (AUTHSERV_ID set), or else our own DKIM check, proves
   * the From domain: shown to the coordinators, never a reason to answer anyone else.
   */
  private async senderVerified(mail: MailInput, raw: Buffer, from: string): Promise<boolean> {
    const domain = domainOf(from);
    if (!domain) return false;
    const config = this.config;
    if (config.AUTHSERV_ID) {
      return checkAuthenticationResults(this.d.authenticity.authenticationResults(raw), config.AUTHSERV_ID, domain).ok;
    }
    if (!(mail.headers['dkim-signature'] ?? []).length) return false;
    try {
      return checkDkimEvidence(await this.d.authenticity.verifyDkim(raw), domain).ok;
    } catch (err) {
      this.log.warn({ err }, 'DKIM check of a request failed');
      return false;
    }
  }

  // ------------------------------------------------------------ coordinators

  /**
   * A coordinator's reply, in four parts: who sent it (authenticate), what happens when that is not proved
   * (refused: audit and a limited warning), what it says (replyEvent), and the transition it makes.
   */
  private async coordinatorReply(
    mail: MailInput,
    raw: Buffer,
    job: InboundJob,
    messageRef: string,
  ): Promise<InboundOutcome> {
    const verdict = await this.authenticate(mail, raw);
    // Addresses only: a display name is the sender's own text, and never reaches a coordinator or an audit line.
    const fromText = mail.from.map((a) => plainAddress(normaliseAddress(a.address))).join(', ') || '(no From)';
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
      await this.refused(mail, verdict, fromText, messageRef);
      return 'unauthenticated';
    }
    const request = await this.f.d.store.get(verdict.ref.requestId);
    if (!request) {
      this.log.warn({ key: job.key, requestId: verdict.ref.requestId }, 'decision for an unknown request ignored');
      return 'unknown_request';
    }
    const cmd = parseReplyCommand(readableText(mail, this.d.reader.htmlText));
    const by = verdict.coordinator;
    const via = messageRef;
    const nonce = verdict.ref.nonce;
    const event = replyEvent(cmd, nonce, by, via);
    const res = await this.f.apply(request.id, event, {
      tokenUse: { coordinator: by, replyMessageId: messageRef, requestId: request.id },
      // A reply to one of our help mails (nonce h…) is never answered with another: no loop with an autoresponder.
      quiet: nonce.startsWith('h'),
      takenNames: await this.takenNames(),
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

  /**
   * A coordinator's reply to a digest: authenticated as any decision (the digest's token instead of a request's),
   * then every line naming a request is applied as a decision of its own, each once (the token use is recorded
   * per request) and only for a request THAT digest listed: a forwarded digest token decides nothing else. One
   * summary of what was applied and what was refused goes back instead of an echo per line.
   */
  private async digestReply(mail: MailInput, raw: Buffer, job: InboundJob, messageRef: string): Promise<InboundOutcome> {
    const verdict = await this.authenticateDigest(mail, raw);
    const fromText = mail.from.map((a) => plainAddress(normaliseAddress(a.address))).join(', ') || '(no From)';
    if (!verdict.ok) {
      this.log.warn(
        { key: job.key, messageId: mail.messageId, from: fromText, reason: verdict.reason, detail: verdict.detail },
        'digest reply refused: not authenticated',
      );
      await this.refused(mail, verdict, fromText, messageRef);
      return 'unauthenticated';
    }
    const store = this.f.d.store;
    const digest = (await this.f.d.digest?.store.get(verdict.ref.digest)) ?? null;
    if (!digest) {
      this.log.warn({ key: job.key, digest: verdict.ref.digest }, 'reply to an unknown digest ignored');
      return 'unknown_request';
    }
    const by = verdict.coordinator;
    const reply = parseDigestReply(readableText(mail, this.d.reader.htmlText));
    const listed = new Map(digest.items.map((i) => [i.id, i]));
    const refused = reply.refused.map((r) => ({ reference: r.reference, line: r.line, reason: r.problem }));
    const applied: TemplateVars<'digest_echo'>['applied'] = [];
    const takenNames = reply.lines.length ? await this.takenNames() : [];
    let replays = 0;
    let attempted = 0;
    for (const line of reply.lines) {
      const item = listed.get(line.reference);
      if (!item) {
        refused.push({
          reference: line.reference,
          line: line.line,
          reason: explain(
            'nuk ishte në këtë përmbledhje: një përmbledhje vendos vetëm kërkesat që rendit',
            'it was not in this digest: a digest decides only the requests it lists',
          ),
        });
        continue;
      }
      attempted += 1;
      const c = line.command;
      const event: FlowEvent =
        c.type === 'undo'
          ? { type: 'undo', by, via: messageRef }
          : c.type === 'approve'
            ? { type: 'decide', by, decision: 'approve', via: messageRef, nonce: digestNonce(item) }
            : { type: 'decide', by, decision: 'reject', reason: c.reason, shareReason: c.shareReason, via: messageRef, nonce: digestNonce(item) };
      const res = await this.f.apply(item.id, event, {
        // One reply decides several requests: its use is recorded per request.
        tokenUse: { coordinator: by, replyMessageId: `${messageRef}#${item.id}`, requestId: item.id },
        batch: true,
        takenNames,
      });
      if ('replay' in res && res.replay) replays += 1;
      const r = res.found ? await store.get(item.id) : null;
      if (!r) {
        refused.push({ reference: line.reference, line: line.line, reason: explain('kërkesa nuk gjendet', 'the request is not found') });
        continue;
      }
      const outcome = lineOutcome(r, messageRef);
      if (!outcome.applied) {
        refused.push({ reference: r.id, line: line.line, reason: outcome.problem });
        continue;
      }
      applied.push({
        reference: r.id,
        organizationName: r.organization.name ?? r.organization.acronym ?? r.senderAddress,
        decision: c.type,
        state: outcome.state,
        reason: c.type === 'reject' ? (r.decision?.reason ?? null) : null,
        reasonShared: c.type === 'reject' && r.decision?.shareReason === true,
        approvalsSoFar: r.approvals.length,
        undoDeadline: r.status === 'decided_pending_undo' ? (r.decision?.effectiveAt ?? null) : null,
      });
    }
    this.log.info(
      { key: job.key, digest: digest.number, by, applied: applied.length, refused: refused.length, via: verdict.via },
      'digest reply applied',
    );
    // A reply to one of our summaries that says nothing (an autoresponder's) is never answered: no loop.
    const nothing = applied.length === 0 && refused.length === 0;
    if (!(nothing && verdict.ref.variant.startsWith('e'))) {
      await this.digestSummary(job, digest.number, by, applied, refused);
    }
    if (attempted > 0 && replays === attempted) return 'replay';
    return applied.length ? 'decision' : 'digest_refused';
  }

  /** The one summary of a digest reply: to every coordinator when something was applied, else to its sender alone. */
  private async digestSummary(
    job: InboundJob,
    number: number,
    by: string,
    applied: TemplateVars<'digest_echo'>['applied'],
    refused: TemplateVars<'digest_echo'>['refused'],
  ): Promise<void> {
    const config = this.config;
    const settings = flowSettings(config);
    const rendered = this.f.d.templates.render('digest_echo', mailLanguage(config, null), {
      number,
      by,
      applied,
      refused,
      appliedCount: applied.length,
      refusedCount: refused.length,
      approvalsRequired: settings.approvalsRequired,
    });
    const id = inboundMailId(`${job.key}|digest`, 'digest_echo');
    const variant = `e${shortHash(job.key).slice(0, 15)}`;
    for (const c of applied.length ? settings.coordinators : [by]) {
      await this.queue(
        {
          id: `${id}.${addressTag(c)}`,
          to: [c],
          ...rendered,
          autoSubmitted: 'auto-generated',
          messageIdLocal: digestMessageIdLocal(this.f.d.secret, number, c, variant),
        },
        { requestId: null, sender: null },
      );
    }
  }

  /** A reply to a digest: the same evidence as any decision, checked against the digest's token. */
  private async authenticateDigest(mail: MailInput, raw: Buffer): Promise<DigestVerdict> {
    return authorizeDigestReply(await this.authInput(mail, raw));
  }

  /** Who may decide (src/domain/coordinator-auth.ts), with the evidence COORDINATOR_AUTH and AUTHSERV_ID call for. */
  private async authenticate(mail: MailInput, raw: Buffer): Promise<AuthVerdict> {
    return authorizeReply(await this.authInput(mail, raw));
  }

  /** The evidence of a coordinator's reply: DKIM verified here, or the receiving server's Authentication-Results. */
  private async authInput(mail: MailInput, raw: Buffer): Promise<Parameters<typeof authorizeReply>[0]> {
    const config = this.config;
    const dkim =
      config.COORDINATOR_AUTH === 'dkim' && !config.AUTHSERV_ID ? await this.d.authenticity.verifyDkim(raw) : undefined;
    return {
      mail,
      coordinators: config.COORDINATORS,
      mode: config.COORDINATOR_AUTH,
      secret: this.f.d.secret,
      authservId: config.AUTHSERV_ID,
      // As received: the parsed headers have sender-written encoded words decoded into them.
      authenticationResults: config.AUTHSERV_ID ? this.d.authenticity.authenticationResults(raw) : undefined,
      dkim,
    };
  }

  /** A reply that could not be proved a coordinator's: audited on a known request, the coordinators warned within limits. */
  private async refused(
    mail: MailInput,
    verdict: Extract<AuthVerdict | DigestVerdict, { ok: false }>,
    fromText: string,
    messageRef: string,
  ): Promise<void> {
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
    // One warning per address, request and failure per hour, and all of them within MAIL_CAP_WARNINGS: a forger
    // changing display names or addresses cannot flood the coordinators (every attempt is still logged and, for
    // a known request, audited). The warning quotes nothing the forger wrote but the address.
    const hour = Math.floor(this.f.d.clock().getTime() / 3_600_000);
    const warningKey = `${fromText.toLowerCase()}|${known?.id ?? '-'}|${verdict.reason}|${verdict.detail}|${hour}`;
    await this.sendToCoordinators(
      inboundMailId(warningKey, 'unauthenticated_attempt'),
      'unauthenticated_attempt',
      {
        reference: known?.id ?? null,
        from: fromText,
        reason: explainAuthFailure(verdict.reason, verdict.reason === 'not_a_coordinator' ? `${fromText} is not a coordinator` : verdict.detail),
      },
      { warning: true, requestId: known?.id ?? null },
    );
  }

  // ------------------------------------------------------------ organisations

  /** Signatories, and the open join requests this organisation could duplicate (found through the index). */
  private async known(entries: readonly string[]): Promise<{ signatories: KnownOrganisation[]; open: KnownOrganisation[] }> {
    const version = await this.d.registry.current();
    const signatories = (version?.signatories ?? []).map((s, i) => ({
      id: s.id,
      name: s.name,
      acronym: s.acronym,
      emails: s.contactEmail ? [s.contactEmail] : [],
      position: i + 1,
    }));
    // A possible request (unclear) is no pending request: its sender was never told of it.
    const open = (await this.f.d.store.openMatching(entries))
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
    const config = this.config;
    const from = singleFrom(mail);
    const fromCoordinator = coordinatorSender(mail, config.COORDINATORS).ok;
    const inner = reading.contact?.email ? normaliseAddress(reading.contact.email) : null;
    const verified = await this.senderVerified(mail, raw, from);
    // A request a coordinator forwarded belongs to the organisation named inside, not to the coordinator; its
    // address is written to only when the coordinator's own mail is proved (she vouches for it by forwarding).
    const forwardedByCoordinator = reading.forwarded && fromCoordinator && inner !== null;
    const sender = forwardedByCoordinator ? (inner as string) : from || inner || '';
    const replyAddress = forwardedByCoordinator
      ? verified && this.answerable(inner)
        ? (inner as string)
        : ''
      : this.answerableFrom(mail, from, reading)
        ? from
        : '';
    // Any other address the mail names is only proposed to the coordinators.
    const proposed =
      [inner, ...mail.replyTo.map((a) => normaliseAddress(a.address))].find(
        (a): a is string => this.answerable(a) && a !== replyAddress,
      ) ?? null;
    const org = reading.organization ?? { name: null, acronym: null, city: null, website: null };
    const language = reading.language ?? config.DEFAULT_LANGUAGE;
    const thread = this.threadOf(mail);
    // Taken before the duplicate check reads: the request is stored only if nothing it read changed since (see below).
    const entries = lookupEntries(org, sender);
    const seen = await store.snapshot(entries);
    const cause: CapCause = { sender: fromCoordinator ? null : from };
    const { signatories, open } = await this.known(entries);
    // A shared mail domain is only a hint shown to the coordinators: different organisations share
    // domains (a house of NGOs, a network's server). Only the name or acronym makes a duplicate.
    const sig = findDuplicate(org, sender, signatories);
    if (sig && sig.on !== 'domain') {
      if (replyAddress) {
        // The statement is public: telling anyone that a signatory signs discloses nothing.
        await this.sendToOrg(
          inboundMailId(job.key, 'already_signatory'),
          'already_signatory',
          replyAddress,
          language,
          thread,
          { organizationName: sig.org.name, position: sig.org.position ?? 1 },
          cause,
        );
      }
      this.log.info({ key: job.key, signatory: sig.org.id, on: sig.on }, 'join request from a signatory');
      return 'already_signatory';
    }
    const pending = findDuplicate(org, sender, open);
    if (pending && pending.on !== 'domain') {
      // Its id and name go only to that request's own contact; anyone else learns nothing of it.
      const own = !!from && pending.org.emails.includes(from);
      if (replyAddress) {
        const id = inboundMailId(job.key, 'already_pending');
        await this.sendToOrg(
          id,
          'already_pending',
          replyAddress,
          language,
          thread,
          own
            ? { reference: pending.org.id, organizationName: pending.org.name || org.name || sender }
            : { reference: null, organizationName: null },
          { ...cause, requestId: own ? pending.org.id : null },
          // Its own contact may reply to it with more details, as to the acknowledgement.
          own ? orgMessageIdLocal(this.f.d.secret, `${pending.org.id}.0.${id}`, replyAddress) : undefined,
        );
      }
      await store.audit(pending.org.id, {
        event: 'duplicate_request',
        by: from || sender,
        via: messageRef,
        detail: `matched on ${pending.on}${own ? '' : ', from an address that is not its contact: told nothing of it'}`,
      });
      return 'already_pending';
    }
    const like = sig ?? pending;
    const resembles = like
      ? like.org.position !== undefined
        ? `#${like.org.position} ${like.org.name}`
        : `${like.org.id}${like.org.name ? ` (${like.org.name})` : ''}`
      : null;
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
        ...this.origin(mail, job),
        missing,
        senderVerified: verified,
        proposedContact: proposed,
        resembles,
      },
      this.f.ctx(),
    );
    // Atomic with the duplicate check: when another processor created or closed a request (or the registry
    // changed) since `seen`, nothing is stored and the message is looked at again from the start.
    const { id, stale, created } = await store.create(result, messageRef, { unchangedSince: seen });
    if (stale) return this.joinRequest(mail, raw, reading, job, messageRef);
    if (created) this.f.transitioned(id, 'received', result.request.status, { type: 'received', via: messageRef });
    await this.f.d.hook?.('created', id);
    await this.f.flush(id, raw, { cause: cause.sender ?? null });
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
    const replyAddress = candidates.find((a): a is string => this.answerable(a)) ?? null;
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
    // The domain of a machine's From (a form service) says nothing about the organisation.
    const matchAddress = reading.automatic ? (replyAddress ?? '') : sender;
    const { signatories, open } = await this.known(lookupEntries(org, matchAddress));
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
        ...this.origin(mail, job),
        missing,
        reason,
        automatic: reading.automatic,
        resembles,
      },
      this.f.ctx(),
    );
    const { id, created } = await store.create(result, messageRef);
    if (created) this.f.transitioned(id, 'received', result.request.status, { type: 'received', via: messageRef });
    await this.f.d.hook?.('created', id);
    await this.f.flush(id, raw, { cause: from || null });
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
    // Only the From counts, never a Reply-To: a stranger naming a signatory's address there asks nothing.
    const from = singleFrom(mail);
    const version = await this.d.registry.current();
    const sig = from
      ? version?.signatories.find((s) => s.contactEmail && normaliseAddress(s.contactEmail) === from)
      : undefined;
    if (!sig) {
      this.log.info({ key: job.key, from }, 'withdrawal from an address no signatory is known by');
      return this.other(mail, job);
    }
    const openWithdrawal = (await store.openMatching([`signatory:${sig.id}`])).find(
      (r) => r.kind === 'withdrawal' && r.signatoryId === sig.id,
    );
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
        ...this.origin(mail, job),
        missing: [],
        signatoryId: sig.id,
        senderVerified: await this.senderVerified(mail, raw, from),
      },
      this.f.ctx(),
    );
    const { id, created } = await store.create(result, messageRef);
    if (created) this.f.transitioned(id, 'received', result.request.status, { type: 'received', via: messageRef });
    await this.f.flush(id, raw, { cause: from });
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
    await this.sendToCoordinators(
      inboundMailId(job.key, 'other_forward'),
      'other_forward',
      {
        from: mail.from.map((a) => a.address).join(', ') || '(no From)',
        subject: mail.subject,
        excerpt: excerpt(mail.text, 2000),
      },
      { sender: singleFrom(mail) || null },
    );
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
      const candidates = (await store.openMatching([...named].map((a) => `reply:${a.toLowerCase()}`))).filter(
        (r) => r.replyAddress && named.has(r.replyAddress),
      );
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
      }, { requestId: request.id });
    }
    return 'undeliverable';
  }

  // ------------------------------------------------------------ mail helpers

  /** What every request keeps of the mail it was made from. */
  private origin(mail: MailInput, job: InboundJob) {
    return {
      originalMessageId: mail.messageId,
      sourceKey: job.key,
      references: mail.references,
      originalSubject: mail.subject,
      excerpt: excerpt(mail.text),
      receivedAt: mail.date ?? this.f.d.clock(),
    };
  }

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
    cause: CapCause,
    messageIdLocal?: string,
  ): Promise<void> {
    const d = this.f.d;
    const rendered = d.templates.render(template, mailLanguage(this.config, language), vars);
    const mail: OutgoingMail = {
      id,
      to: [to],
      ...rendered,
      ...thread,
      autoSubmitted: 'auto-replied',
      ...(messageIdLocal ? { messageIdLocal } : {}),
    };
    await this.queue(mail, cause);
  }

  /**
   * Queues a mail; one the outbox refuses (an address from the received mail it does not accept) is logged and
   * dropped, as flow.flush does: no retry can change the verdict, and the message must still finish.
   */
  private async queue(mail: OutgoingMail, cause: CapCause): Promise<void> {
    try {
      await this.f.send(mail, cause);
    } catch (err) {
      if (!(err instanceof ZodError)) throw err;
      this.log.error({ err, mailId: mail.id, to: mail.to }, 'mail refused');
    }
  }

  private async sendToCoordinators<N extends TemplateName>(
    id: string,
    template: N,
    vars: TemplateVars<N>,
    cause: CapCause,
  ): Promise<void> {
    const d = this.f.d;
    const rendered = d.templates.render(template, mailLanguage(this.config, null), vars);
    const to = flowSettings(this.config).coordinators;
    await this.queue({ id, to: [...to], ...rendered, autoSubmitted: 'auto-generated' }, cause);
  }
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
