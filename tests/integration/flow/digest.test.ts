import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageKey } from '../../../src/adapters/imap/message-key.ts';
import { Spool } from '../../../src/adapters/imap/spool.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { RegistryStore } from '../../../src/adapters/redis/registry-store.ts';
import { loadStatementSource } from '../../../src/adapters/templates/statement-source.ts';
import { Processor } from '../../../workers/ports.ts';
import { deliver, type StoredMessage } from '../../harness/mailbox.ts';
import { COORDINATOR_A, COORDINATOR_B, INFO } from '../../harness/stack.ts';
import {
  bodyOf,
  compose,
  DKIM,
  handled,
  inbox,
  joinFrom,
  messageIdOf,
  replyTo,
  sendJoinRequest,
  settled,
  startDesk,
  subjectHas,
  waitFor,
  type Desk,
} from './desk.ts';

/**
 * A flood with the digest on (APPROVAL_DIGEST=always), in dkim mode: 50 join requests make one digest mail per
 * coordinator and no approval mail of their own; one reply deciding three of them applies each decision once,
 * only when it is an authenticated coordinator's reply citing that digest.
 */

const WORDS = [
  'Alder', 'Birch', 'Cedar', 'Dune', 'Ember', 'Fjord', 'Grove', 'Harbor', 'Iris', 'Juniper',
  'Kestrel', 'Lantern', 'Meadow', 'Nectar', 'Orchard', 'Pebble', 'Quarry', 'Ridge', 'Spruce', 'Thistle',
  'Upland', 'Valley', 'Willow', 'Yarrow', 'Zephyr', 'Acorn', 'Bramble', 'Clover', 'Delta', 'Estuary',
  'Fern', 'Glacier', 'Heather', 'Island', 'Jasmine', 'Kelp', 'Lagoon', 'Maple', 'Nettle', 'Oak',
  'Poplar', 'Quince', 'Reed', 'Sorrel', 'Tundra', 'Umber', 'Violet', 'Walnut', 'Yew', 'Zinnia',
];

const orgs = WORDS.map((w, i) => ({
  name: `${w} Civic Forum`,
  acronym: `${w.slice(0, 2).toUpperCase()}CF${String.fromCharCode(65 + (i % 26))}`,
  city: 'Tirana',
  person: 'Elira Doko',
  address: `office@${w.toLowerCase()}.example.net`,
}));

const DIGEST_SUBJECT = 'Kërkesa për miratim në pritje';
const SUMMARY_SUBJECT = /^Vendimet nga /;

describe('the approval digest in a flood', () => {
  let desk: Desk;
  let registry: RegistryStore;
  let foundingCount: number;
  let digestForAna: StoredMessage;
  let listed: string[];
  let anaReply: Buffer;

  beforeAll(async () => {
    desk = await startDesk({
      COORDINATOR_AUTH: 'dkim',
      UNDO_WINDOW: '0',
      APPROVAL_DIGEST: 'always',
      // Long enough for the whole flood to be read before the digest is cut.
      APPROVAL_DIGEST_EVERY: '30s',
      SMTP_RATE_PER_SECOND: '200',
      MAIL_CAP_WARNINGS: '50/1h',
    });
    registry = new RegistryStore(desk.redis, keyspace(desk.config.REDIS_PREFIX), loadStatementSource().founding);
    foundingCount = (await registry.current())?.signatories.length ?? 0;
    for (const org of orgs) await sendJoinRequest(desk.stack, joinFrom(org));
  }, 120_000);
  afterAll(async () => {
    await desk?.close();
  });

  it('sends each coordinator exactly one digest listing all 50 requests, and no approval mail of their own', async () => {
    const [forAna] = await waitFor(desk.stack, COORDINATOR_A, subjectHas(DIGEST_SUBJECT), 1, 120_000);
    digestForAna = forAna as StoredMessage;
    await waitFor(desk.stack, COORDINATOR_B, subjectHas(DIGEST_SUBJECT), 1, 30_000);
    await settled(desk.stack, 60_000);

    const requests = await desk.processor.store.list();
    expect(requests).toHaveLength(50);
    expect(new Set(requests.map((r) => r.organization.name))).toEqual(new Set(orgs.map((o) => o.name)));
    for (const who of [COORDINATOR_A, COORDINATOR_B]) {
      const mails = await inbox(desk.stack, who);
      expect(mails.filter(subjectHas(DIGEST_SUBJECT)), who).toHaveLength(1);
      // Nothing else: no approval request of one request ("… [REQ-…]").
      expect(mails.filter((m) => /\[REQ-/.test(m.subject)), who).toEqual([]);
      expect(mails, who).toHaveLength(1);
    }
    const body = await bodyOf(digestForAna);
    listed = [...body.matchAll(/^=== \d+\. (REQ-[0-9A-Z]+) ===$/gm)].map((m) => m[1] as string);
    expect(new Set(listed)).toEqual(new Set(requests.map((r) => r.id)));
    expect(listed).toHaveLength(50);
    expect(digestForAna.subject).toContain('50 kërkesa');
    // What a coordinator needs to decide each one, and the line to write.
    const first = requests.find((r) => r.id === listed[0]);
    expect(body).toContain(`${first?.organization.name}`);
    expect(body).toContain(`${listed[0]} PO`);
    expect(digestForAna.messageId).toMatch(/^<dgst\.\d+\.d\.[a-z2-7]{32}@example\.org>$/);
    // Every organisation was acknowledged as usual.
    for (const org of orgs.slice(0, 3)) expect(await inbox(desk.stack, org.address)).toHaveLength(1);
  }, 180_000);

  it('changes nothing for the same lines from a non-coordinator, another coordinator, or citing no digest', async () => {
    const lines = `${listed[0]} PO\n${listed[1]} PO\n${listed[2]} JO`;
    const mallory = await replyTo(desk.stack, digestForAna, { from: 'mallory@evil.example.net', text: lines, dkim: false });
    expect(await handled(desk.stack, messageIdOf(mallory))).toBe('unauthenticated');
    // Besa is a coordinator, but this digest's token was made for Ana.
    const besa = await replyTo(desk.stack, digestForAna, { from: COORDINATOR_B, text: lines });
    expect(await handled(desk.stack, messageIdOf(besa))).toBe('unauthenticated');
    // Ana without DKIM: the token alone does not prove her.
    const unsigned = await replyTo(desk.stack, digestForAna, { from: COORDINATOR_A, text: lines, dkim: false });
    expect(await handled(desk.stack, messageIdOf(unsigned))).toBe('unauthenticated');
    const loose = await compose({ from: COORDINATOR_A, subject: `Re: ${digestForAna.subject}`, text: lines, dkimDomain: 'coord.example.org' });
    await deliver(desk.stack.dovecot, INFO, loose);
    expect(await handled(desk.stack, messageIdOf(loose))).not.toBe('decision');
    await settled(desk.stack);
    for (const id of listed.slice(0, 3)) {
      const r = await desk.processor.store.get(id);
      expect(r?.status, id).toBe('pending');
      expect(r?.approvals, id).toEqual([]);
    }
    expect((await registry.current())?.signatories).toHaveLength(foundingCount);
    expect(await inbox(desk.stack, COORDINATOR_A, subjectHas(SUMMARY_SUBJECT))).toEqual([]);
  }, 120_000);

  it('applies a reply deciding three of them once each, refuses a request not in the digest, and ignores quoted lines', async () => {
    const [a, b, c, quoted] = listed as [string, string, string, string];
    const text = [
      'Përshëndetje,',
      '',
      `${a} PO`,
      `${b.toLowerCase()} miratoj`,
      `${a} po`,
      `${c} JO: nuk është organizatë e shoqërisë civile`,
      'REQ-ZZZZZ PO',
      '',
      'Ana',
      '',
      'Më 30 nëntor 2026, në 10:00, Koalicioni <info@example.org> shkroi:',
      `> ${quoted} PO`,
    ].join('\n');
    anaReply = await replyTo(desk.stack, digestForAna, { from: COORDINATOR_A, text });
    expect(await handled(desk.stack, messageIdOf(anaReply))).toBe('decision');
    await settled(desk.stack, 60_000);

    const [ra, rb, rc, rq] = await Promise.all([a, b, c, quoted].map((id) => desk.processor.store.get(id)));
    expect(ra?.status).toBe('approved');
    expect(rb?.status).toBe('approved');
    expect(ra?.approvals.map((x) => x.by)).toEqual([COORDINATOR_A]);
    expect(rb?.approvals.map((x) => x.by)).toEqual([COORDINATOR_A]);
    expect(rc?.status).toBe('rejected');
    expect(rc?.decision).toMatchObject({ outcome: 'reject', by: [COORDINATOR_A], shareReason: true });
    expect(rq?.status).toBe('pending');

    // The statement got exactly the two approvals.
    const statement = await registry.current();
    expect(statement?.signatories).toHaveLength(foundingCount + 2);
    const names = statement?.signatories.map((s) => s.name) ?? [];
    expect(names).toContain(ra?.organization.name);
    expect(names).toContain(rb?.organization.name);
    expect(names).not.toContain(rc?.organization.name);
    const rejectedOrg = orgs.find((o) => o.name === rc?.organization.name);
    const [rejection] = await waitFor(desk.stack, rejectedOrg!.address, subjectHas('not approved'));
    expect(await bodyOf(rejection!)).toContain('nuk është organizatë e shoqërisë civile');

    // One summary to each coordinator, instead of an echo per line; the unknown reference told back.
    for (const who of [COORDINATOR_A, COORDINATOR_B]) {
      const summaries = await inbox(desk.stack, who, subjectHas(SUMMARY_SUBJECT));
      expect(summaries, who).toHaveLength(1);
      expect(await inbox(desk.stack, who, (m) => /\[REQ-/.test(m.subject)), who).toEqual([]);
    }
    const [summary] = await inbox(desk.stack, COORDINATOR_A, subjectHas(SUMMARY_SUBJECT));
    expect(summary?.subject).toContain('3 u zbatuan, 1 jo');
    const said = await bodyOf(summary!);
    expect(said).toContain('REQ-ZZZZZ');
    expect(said).toContain('nuk ishte në këtë përmbledhje');
    expect(said).not.toContain(quoted);
  }, 120_000);

  it('changes nothing when the same reply comes again (the mailbox, or a retried job)', async () => {
    const [a, b, c] = listed as [string, string, string];
    const before = await registry.current();
    // The reply delivered again, as a client or a server might: the same Message-ID.
    await deliver(desk.stack.dovecot, INFO, anaReply);
    await settled(desk.stack);
    // Handed to the processor again, as a job retried after a crash would be.
    const spool = new Spool(desk.redis, keyspace(desk.config.REDIS_PREFIX), {
      maxMessageBytes: desk.config.MAX_MESSAGE_BYTES,
      maxTotalBytes: desk.config.SPOOL_MAX_BYTES,
    });
    const key = messageKey(messageIdOf(anaReply), anaReply);
    await spool.put(key, anaReply);
    const processor = new Processor({ flow: desk.processor.flow, spool, registry, resolver: DKIM.resolver });
    const outcome = await processor.handle({
      key,
      mailbox: 'INBOX',
      uidValidity: '1',
      uid: 999_999,
      size: anaReply.length,
      receivedAt: new Date().toISOString(),
      folder: 'INBOX',
    });
    expect(outcome).toBe('replay');
    await settled(desk.stack);

    const after = await registry.current();
    expect(after?.number).toBe(before?.number);
    expect(after?.signatories).toHaveLength(foundingCount + 2);
    for (const id of [a, b]) expect((await desk.processor.store.get(id))?.approvals, id).toHaveLength(1);
    const rc = await desk.processor.store.get(c);
    expect(rc?.status).toBe('rejected');
    const rejectedOrg = orgs.find((o) => o.name === rc?.organization.name);
    expect(await inbox(desk.stack, rejectedOrg!.address, subjectHas('not approved'))).toHaveLength(1);
    expect(await inbox(desk.stack, COORDINATOR_A, subjectHas(SUMMARY_SUBJECT))).toHaveLength(1);
    expect(await inbox(desk.stack, COORDINATOR_B, subjectHas(SUMMARY_SUBJECT))).toHaveLength(1);
  }, 120_000);
});
