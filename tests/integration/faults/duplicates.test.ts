import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/log.ts';
import { createIngestParts, type IngestParts } from '../../../src/adapters/imap/wiring.ts';
import { messageKey } from '../../../src/adapters/imap/message-key.ts';
import { createTriage } from '../../../workers/ports.ts';
import { startMailer, type Mailer } from '../../../workers/mailer.ts';
import { startProcessor, type RunningProcessor } from '../../../workers/processor.ts';
import { compose, DKIM, inbox, joinFrom, startDesk, waitFor, subjectHas, type Desk } from '../flow/desk.ts';

/**
 * The README lets several processors share one Redis. Two of them taking an
 * organisation's two mails at the same moment must still make one request:
 * the duplicate check and the creation are one atomic step.
 */
describe('two processors on one Redis, one organisation writing twice back to back', () => {
  let desk: Desk;
  let ingest: IngestParts;
  const processors: RunningProcessor[] = [];
  const connections: Redis[] = [];
  let mailer: Mailer | null = null;

  beforeAll(async () => {
    desk = await startDesk({ COORDINATOR_AUTH: 'token', UNDO_WINDOW: '0' }, { workers: false });
    ingest = await createIngestParts({ config: desk.config, redis: desk.redis, logger: silentLogger, triage: createTriage(desk.config) });
  });
  afterAll(async () => {
    for (const p of processors) await p.close();
    await mailer?.close();
    for (const c of connections) await c.quit().catch(() => undefined);
    await ingest?.close();
    await desk?.close();
  });

  it('creates one request per organisation, answers the second mail "already pending", and loses none', async () => {
    const N = 12;
    const orgs = Array.from({ length: N }, (_, i) => ({
      name: `Shoqata Racë ${String.fromCharCode(65 + i)}${i}`,
      acronym: `SR${String.fromCharCode(65 + i)}`,
      city: 'Tiranë',
      person: `Person ${i}`,
      address: `office@race${i}.example.net`,
    }));
    // Both mails of each organisation are queued before any processor runs, side by side.
    for (const org of orgs) {
      for (const n of [1, 2]) {
        const raw = await compose({ ...joinFrom(org, 'sq'), messageId: `<race.${n}.${org.acronym}@race.example.net>` });
        const key = messageKey(`<race.${n}.${org.acronym}@race.example.net>`, raw);
        const place = { mailbox: 'INBOX', uidValidity: '1', uid: processors.length };
        const at = new Date().toISOString();
        await ingest.ledger.handOff(
          raw,
          { key, ...place, size: raw.length, receivedAt: at, folder: 'Coalition.Processed' },
          { key, folder: 'processed', queued: true, ...place, messageId: null, reason: 'join_request', at },
        );
      }
    }
    // Two processors, each with its own connections, as two processes would have.
    for (let i = 0; i < 2; i++) {
      const redis = new Redis(desk.stack.redisUrl, { maxRetriesPerRequest: null });
      connections.push(redis);
      processors.push(await startProcessor({ config: desk.config, redis, logger: silentLogger, resolver: DKIM.resolver }));
    }
    mailer = startMailer({ config: desk.config, redis: desk.redis, logger: silentLogger });

    for (const org of orgs) await waitFor(desk.stack, org.address, () => true, 2, 40_000);
    const requests = await processors[0]!.store.list();
    expect(requests.filter((r) => r.kind === 'join')).toHaveLength(N);
    for (const org of orgs) {
      expect(requests.filter((r) => r.organization.name === org.name), org.name).toHaveLength(1);
      const mails = await inbox(desk.stack, org.address);
      expect(mails.filter(subjectHas('Konfirmim marrjeje')), org.name).toHaveLength(1);
      expect(mails, org.name).toHaveLength(2);
    }
  });
});
