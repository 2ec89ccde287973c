import { loadConfig } from '../../../../config/load.ts';
import { silentLogger } from '../../../../src/adapters/log.ts';
import { HandlebarsTemplates } from '../../../../src/adapters/templates/handlebars.ts';
import { Flow } from '../../../../src/app/flow.ts';
import type { Logger, MailReader } from '../../../../src/app/ports.ts';
import { OutgoingMailSchema, type Outbox } from '../../../../src/contracts/outbox.ts';
import type { InboundJob } from '../../../../src/contracts/queues.ts';
import type { OutgoingMail } from '../../../../src/domain/outgoing.ts';
import type { JoinChange, StatementVersion } from '../../../../src/domain/statement.ts';
import { createTriage, Processor } from '../../../../workers/ports.ts';
import { MemoryRequestStore } from './memory-store.ts';

export const ANA = 'ana@coord.example.org';
export const BESA = 'besa@coord.example.org';
export const INFO = 'info@example.org';

/**
 * The processor over the real templates, an in-memory request store and an outbox that validates
 * like the real one (and records what it was given). A DNS resolver that never answers means a
 * reply without a valid signature can never pass DKIM. For the rules of the use case; the real
 * servers are in tests/integration. The statement is a list in memory (`signatories`); `logger` sees
 * what the flow logs.
 */
export function memoryDesk(env: Record<string, string> = {}, o: { logger?: Logger; handOver?: boolean; reader?: MailReader } = {}) {
  const config = loadConfig(
    { COALITION_ADDRESS: INFO, COORDINATORS: `${ANA},${BESA}`, COORDINATOR_AUTH: 'token', TOKEN_SECRET: 'k'.repeat(64), UNDO_WINDOW: '0', ...env },
    '/nonexistent/.env',
  );
  const spool = new Map<string, Buffer>();
  // The watcher's reading, handed to the processor with the message (as the real watcher does, unless handOver is false).
  const readings = new Map<string, string>();
  const triage = createTriage(config);
  const sent = new Map<string, OutgoingMail>();
  const outbox: Outbox = {
    async send(mail) {
      const m = OutgoingMailSchema.parse(mail);
      const seen = sent.has(m.id);
      sent.set(m.id, m);
      return { status: seen ? 'duplicate' : 'queued', jobId: m.id };
    },
  };
  const store = new MemoryRequestStore();
  const signatories: JoinChange[] = [];
  const statements = {
    async join(change: JoinChange, key?: string) {
      const id = change.signatory.id ?? change.source;
      const created = !signatories.some((s) => (s.signatory.id ?? s.source) === id);
      if (created) signatories.push(change);
      const version = {
        number: signatories.length + 1,
        signatories: signatories.map((s) => ({ id: s.signatory.id ?? s.source, name: s.signatory.name })),
      } as unknown as StatementVersion;
      return { version, created, mails: key ? [`statement.v${signatories.length + 1}.list`] : [] };
    },
    leave: async () => {
      throw new Error('no withdrawals in the memory desk');
    },
  };
  const flow = new Flow({
    config,
    store: store as never,
    outbox,
    templates: HandlebarsTemplates.load({ coalitionName: 'Koalicioni', coalitionAddress: INFO }),
    timers: { schedule: async () => undefined },
    statements,
    secret: config.TOKEN_SECRET ?? 'x',
    logger: o.logger ?? silentLogger,
    clock: () => new Date('2026-11-30T10:00:00Z'),
  });
  const processor = new Processor({
    ...(o.reader ? { reader: o.reader } : {}),
    flow,
    spool: {
      get: async (k) => spool.get(k) ?? null,
      delete: async (k) => (readings.delete(k), spool.delete(k)),
      reading: async (k) => readings.get(k) ?? null,
    },
    registry: { current: async () => null },
    resolver: async () => {
      throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    },
  });
  let uid = 0;
  /** Hands one raw message (its lines, or the whole text) to the processor as the watcher would. */
  const deliver = async (message: string[] | string) => {
    uid += 1;
    const raw = typeof message === 'string' ? message : `${message.join('\r\n')}\r\n`;
    const key = `k${uid}`;
    spool.set(key, Buffer.from(raw));
    if (o.handOver !== false) {
      const verdict = await triage(Buffer.from(raw));
      if (verdict.reading) readings.set(key, verdict.reading);
    }
    const job: InboundJob = { key, mailbox: 'INBOX', uidValidity: '1', uid, size: raw.length, receivedAt: '', folder: 'INBOX' };
    return processor.handle(job);
  };
  const to = (address: string) => [...sent.values()].filter((m) => m.to.includes(address));
  return { config, flow, processor, store, sent, signatories, to, deliver, delivered: () => uid, readings };
}
