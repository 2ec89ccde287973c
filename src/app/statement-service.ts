import { createHash } from 'node:crypto';
import type { Config } from '../../config/schema.ts';
import type { OutgoingMail } from '../domain/outgoing.ts';
import {
  renderStatement,
  renderStatementHtml,
  type JoinChange,
  type LeaveChange,
  type StatementDocument,
  type StatementVersion,
} from '../domain/statement.ts';
import { mailLanguage, type Templates } from '../contracts/mail-catalog.ts';
import type { Outbox } from '../contracts/outbox.ts';

/** The registry port (RegistryStore in src/adapters/redis implements it). */
export interface StatementRegistry {
  addSignatory(change: JoinChange, idempotencyKey?: string): Promise<{ version: StatementVersion; created: boolean }>;
  removeSignatory(change: LeaveChange, idempotencyKey?: string): Promise<{ version: StatementVersion; created: boolean }>;
}

type StatementConfig = Pick<Config, 'COALITION_ADDRESS' | 'COALITION_LIST' | 'STATEMENT_TO_SIGNATORIES' | 'BILINGUAL' | 'DEFAULT_LANGUAGE'>;

export interface StatementServiceDeps {
  registry: StatementRegistry;
  outbox: Outbox;
  templates: Templates;
  document: StatementDocument;
  config: StatementConfig;
}

const short = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

/**
 * Each approval or withdrawal makes a new version and sends it out. Both
 * steps are idempotent, so a caller that crashed half-way simply calls again:
 * the registry returns the version the request already made, and the mails
 * keep their ids (`statement.v2.list`), so nobody receives it twice.
 */
export class StatementService {
  constructor(private readonly d: StatementServiceDeps) {}

  async join(change: JoinChange, idempotencyKey?: string): Promise<{ version: StatementVersion; created: boolean; mails: string[] }> {
    const r = await this.d.registry.addSignatory(change, idempotencyKey);
    return { ...r, mails: await this.publish(r.version) };
  }

  async leave(change: LeaveChange, idempotencyKey?: string): Promise<{ version: StatementVersion; created: boolean; mails: string[] }> {
    const r = await this.d.registry.removeSignatory(change, idempotencyKey);
    return { ...r, mails: await this.publish(r.version) };
  }

  /** The mails announcing a version: one to COALITION_LIST, and one to each signatory contact if configured. */
  mailsFor(version: StatementVersion): OutgoingMail[] {
    const { config, templates, document } = this.d;
    const opts = { joinAddress: config.COALITION_ADDRESS };
    const text = renderStatement(document, version, 'text', opts);
    const rendered = templates.render('statement_update', mailLanguage(config), {
      version: version.number,
      date: version.date,
      change: { type: version.change.type, organizationName: version.change.signatory?.name ?? null, approvedBy: version.change.approvedBy },
      signatoryCount: version.signatories.length,
      statementText: text,
      statementHtml: renderStatementHtml(document, version, opts),
    });
    const base = `deklarata-e-perbashket-v${version.number}`;
    const attachments = [
      { filename: `${base}.txt`, contentType: 'text/plain; charset=utf-8', content: text },
      { filename: `${base}.html`, contentType: 'text/html; charset=utf-8', content: renderStatement(document, version, 'html', opts) },
    ];
    const mail = (id: string, to: string[]): OutgoingMail => ({ id, to, ...rendered, autoSubmitted: 'auto-generated', attachments });
    const out: OutgoingMail[] = [];
    const list = [...new Set(config.COALITION_LIST.map((a) => a.toLowerCase()))];
    // The list addresses are the coalition's own lists: one mail, all of them in To.
    if (list.length) out.push(mail(`statement.v${version.number}.list`, list));
    if (config.STATEMENT_TO_SIGNATORIES) {
      // Contacts are private addresses: one mail each, so none sees another and a bounce names its signatory.
      const seen = new Set(list);
      for (const s of version.signatories) {
        const to = s.contactEmail?.toLowerCase();
        if (!to || seen.has(to)) continue;
        seen.add(to);
        out.push(mail(`statement.v${version.number}.sig.${short(s.id)}`, [to]));
      }
    }
    return out;
  }

  /** Queues the announcement of a version; returns the mail ids. */
  async publish(version: StatementVersion): Promise<string[]> {
    const mails = this.mailsFor(version);
    for (const m of mails) await this.d.outbox.send(m);
    return mails.map((m) => m.id);
  }
}
