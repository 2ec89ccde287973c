import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { Flow } from '../../../src/app/flow.ts';
import type { Templates } from '../../../src/contracts/mail-catalog.ts';
import { OutgoingMailSchema, type Outbox } from '../../../src/contracts/outbox.ts';
import { Processor } from '../../../workers/ports.ts';
import type { InboundJob } from '../../../src/contracts/queues.ts';
import { indexEntries, type RequestRecord } from '../../../src/domain/request.ts';

const config = loadConfig(
  {
    COALITION_ADDRESS: 'info@example.org',
    COORDINATORS: 'ana@coord.example.org,besa@coord.example.org',
    COORDINATOR_AUTH: 'token',
    TOKEN_SECRET: 'k'.repeat(64),
  },
  '/nonexistent/.env',
);

const templates: Templates = { render: (name) => ({ subject: `s:${name}`, text: 't', html: '<p>h</p>' }) };

/** A processor over in-memory fakes; the outbox validates like the real one. */
function desk(o: { open?: RequestRecord[] } = {}) {
  const spool = new Map<string, Buffer>();
  const sent: string[] = [];
  const audits: { id: string; event: string }[] = [];
  const outbox: Outbox = {
    async send(mail) {
      const m = OutgoingMailSchema.parse(mail);
      sent.push(m.id);
      return { status: 'queued' } as Awaited<ReturnType<Outbox['send']>>;
    },
  } as Outbox;
  const store = {
    idForMessage: async () => null,
    snapshot: async () => '',
    open: async () => o.open ?? [],
    openMatching: async (entries: readonly string[]) =>
      (o.open ?? []).filter((r) => indexEntries(r).some((e) => entries.includes(e))),
    get: async () => null,
    audit: async (id: string, e: { event: string }) => void audits.push({ id, event: e.event }),
  };
  const flow = new Flow({
    config,
    store: store as never,
    outbox,
    templates,
    timers: { schedule: async () => undefined },
    statements: {} as never,
    secret: config.TOKEN_SECRET ?? 'x',
    logger: silentLogger,
    clock: () => new Date('2026-11-30T10:00:00Z'),
  });
  const processor = new Processor({
    flow,
    spool: { get: async (k) => spool.get(k) ?? null, delete: async (k) => spool.delete(k) },
    registry: { current: async () => null },
  });
  const job = (key: string, raw: string): InboundJob => {
    spool.set(key, Buffer.from(raw));
    return { key, mailbox: 'INBOX', uidValidity: '1', uid: 1, size: raw.length, receivedAt: '', folder: 'INBOX' };
  };
  return { processor, spool, sent, audits, job };
}

const openRequest = {
  id: 'REQ-7F3K2',
  kind: 'join',
  status: 'pending',
  organization: { name: 'Partners Albania', acronym: 'PA', city: 'Tiranë', website: null },
  senderAddress: 'info@partners.org.al',
  replyAddress: 'info@partners.org.al',
} as unknown as RequestRecord;

describe('a hostile message never jams the processor', () => {
  it('answers nothing, but finishes and cleans the spool, when a duplicate request comes from an address the outbox refuses', async () => {
    const d = desk({ open: [openRequest] });
    const raw = [
      'From: Partners Albania <info..desk@partners.org.al>',
      'To: info@example.org',
      'Subject: Kërkesë për anëtarësim',
      'Message-ID: <dup-1@partners.org.al>',
      'Date: Mon, 30 Nov 2026 09:00:00 +0100',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Përshëndetje,',
      'Organizata jonë Partners Albania, Tiranë, dëshiron të anëtarësohet në Koalicionin e OSHC-ve për OGP.',
      'Me respekt,',
      'Ana',
      '',
    ].join('\r\n');
    const job = d.job('k1', raw);
    await expect(d.processor.handle(job)).resolves.toBe('already_pending');
    expect(d.sent).toEqual([]);
    expect(d.spool.has('k1')).toBe(false);
    expect(d.audits).toContainEqual({ id: 'REQ-7F3K2', event: 'duplicate_request' });
  });
});
