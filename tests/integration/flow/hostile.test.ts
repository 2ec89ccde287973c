import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { QUEUES } from '../../../src/contracts/queues.ts';
import { runCli } from '../../harness/cli.ts';
import { deliver, type StoredMessage } from '../../harness/mailbox.ts';
import { COORDINATOR_A, COORDINATOR_B, INFO, LIST } from '../../harness/stack.ts';
import {
  bodyOf,
  compose,
  inbox,
  joinFrom,
  replyTo,
  sendJoinRequest,
  sleep,
  startDesk,
  subjectHas,
  waitFor,
  type Desk,
} from './desk.ts';

/**
 * The desk attacked as an outsider would attack it (issue 12 items 2–4, 8, 9; issue 14 defects 1–2),
 * against the real Dovecot, SMTP capture and Redis. Every count of mail sent is taken at the SMTP
 * capture once the outbound queue is drained, after the desk logged the attacking mails as processed.
 */

/** Counts the processor's "message processed" lines, so a test knows the desk has handled a mail. */
function processedLog() {
  const outcomes: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        try {
          const o = JSON.parse(line) as { msg?: string; outcome?: string };
          if (o.msg === 'message processed' && o.outcome) outcomes.push(o.outcome);
        } catch {
          // not a log line
        }
      }
      cb();
    },
  });
  return {
    logger: createLogger('info', {}, dest),
    outcomes,
    async until(count: number, timeoutMs = 60_000): Promise<void> {
      const t0 = Date.now();
      while (outcomes.length < count) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`timed out: ${outcomes.length}/${count} messages processed`);
        await sleep(100);
      }
    },
  };
}

/** Waits until no outbound mail is waiting, delayed or being sent: everything queued has reached the capture. */
async function drained(desk: Desk, timeoutMs = 120_000): Promise<void> {
  const q = new Queue(QUEUES.outbound, { connection: desk.redis, prefix: keyspace(desk.config.REDIS_PREFIX).bull });
  try {
    const t0 = Date.now();
    let quiet = 0;
    while (quiet < 3) {
      const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
      quiet = Object.values(c).every((n) => n === 0) ? quiet + 1 : 0;
      if (Date.now() - t0 > timeoutMs) throw new Error(`outbound queue not drained: ${JSON.stringify(c)}`);
      await sleep(200);
    }
  } finally {
    await q.close();
  }
}

const refOf = (m: StoredMessage) => /\[(REQ-[A-Z0-9]+)\]/.exec(m.subject)?.[1] as string;
const sentTo = (desk: Desk, address: string) => desk.stack.smtp.deliveriesTo(address);
const subjectOfRaw = (raw: Buffer) => /^Subject: (.*)$/im.exec(raw.toString('utf8').split('\r\n\r\n')[0] ?? '')?.[1] ?? '';

async function orgReply(desk: Desk, o: { from: string; inReplyTo: string; subject: string; text: string }) {
  const raw = await compose({
    from: o.from,
    subject: o.subject,
    text: o.text,
    inReplyTo: o.inReplyTo,
    references: [o.inReplyTo],
  });
  await deliver(desk.stack.dovecot, INFO, raw);
}

describe("an outsider against an organisation's request (issue 12 item 2, issue 14 defect 2)", () => {
  let desk: Desk;
  const log = processedLog();
  beforeAll(async () => {
    desk = await startDesk({ UNDO_WINDOW: '0', APPROVALS_REQUIRED: '1' }, { logger: log.logger });
  });
  afterAll(async () => {
    await desk?.close();
  });

  async function newRequest(org: Parameters<typeof joinFrom>[0]) {
    await sendJoinRequest(desk.stack, joinFrom(org));
    const [ack] = await waitFor(desk.stack, org.address, subjectHas('[REQ-'));
    const ref = refOf(ack!);
    const [forAna] = await waitFor(desk.stack, COORDINATOR_A, subjectHas(`Kërkesë për miratim: ${org.name} [${ref}]`));
    return { ref, ack: ack!, forAna: forAna! };
  }

  it('tells someone who names the same organisation from another address nothing of its request, and a forged reply changes nothing', async () => {
    const org = {
      name: 'Qendra per Transparence Qytetare',
      acronym: 'QTQ',
      city: 'Shkodër',
      person: 'Arta Hoxha',
      address: 'arta@qtq.example.net',
    };
    const { ref, forAna } = await newRequest(org);
    const seen = log.outcomes.length;

    // The outsider names the same organisation, from his own address, with a Reply-To of his.
    await deliver(
      desk.stack.dovecot,
      INFO,
      await compose({
        from: 'Mallory <mallory@attacker.example.com>',
        subject: 'Request to join the Coalition',
        text: `Dear Coalition,\n\nOur organisation, ${org.name} (${org.acronym}), based in Shkodër, would like to join the Coalition and sign the Joint Statement.\n\nMallory`,
        headers: { 'Reply-To': 'inbox@attacker.example.com' },
      }),
    );
    await log.until(seen + 1);
    await drained(desk);
    const toAttacker = [...sentTo(desk, 'mallory@attacker.example.com'), ...sentTo(desk, 'inbox@attacker.example.com')];
    for (const m of toAttacker) {
      expect(m.raw.toString('utf8')).not.toContain(ref);
      expect(m.raw.toString('utf8')).not.toContain(org.name);
    }
    expect(sentTo(desk, 'inbox@attacker.example.com')).toHaveLength(0);
    // Answered at its From, with a notice that names nothing.
    expect(sentTo(desk, 'mallory@attacker.example.com')).toHaveLength(1);

    // Forged replies: from another address of the organisation's domain, and from its very address,
    // each threaded to a guessed Message-ID of the acknowledgement.
    for (const from of ['board@qtq.example.net', org.address]) {
      await orgReply(desk, {
        from,
        inReplyTo: `<${ref}.1.acknowledgement@example.org>`,
        subject: `Re: Konfirmim marrjeje [${ref}]`,
        text: 'Emri: Albanian Friends of Mallory\nQyteti: Nowhere',
      });
    }
    await log.until(seen + 3);
    const r = await desk.processor.store.get(ref);
    expect(r?.organization).toMatchObject({ name: org.name, city: 'Shkodër' });

    await replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'PO' });
    const [statement] = await waitFor(desk.stack, LIST, subjectHas(`u shtua ${org.name}`));
    const text = await bodyOf(statement!);
    expect(text).toMatch(/10\. Qendra per Transparence Qytetare \(QTQ\) – Shkodër/);
    expect(text).not.toContain('Mallory');
  });

  it("shows the organisation's own change as changed from … to …, refuses a name the registry would refuse, and counts no approval given before the change", async () => {
    const org = {
      name: 'Civic Lab Lezha',
      acronym: 'CLL',
      city: 'Shkodër',
      person: 'Genta Ruci',
      address: 'genta@civiclab.example.net',
    };
    const { ref, ack, forAna } = await newRequest(org);
    await orgReply(desk, { from: org.address, inReplyTo: ack.messageId, subject: `Re: ${ack.subject}`, text: 'Qyteti: Lezhë\n\nGenta' });
    const [updated] = await waitFor(desk.stack, COORDINATOR_A, subjectHas(`Kërkesa u përditësua: ${org.name} [${ref}]`));
    expect(await bodyOf(updated!)).toMatch(/nga “Shkodër” në “Lezhë”/);
    expect((await desk.processor.store.get(ref))?.organization.city).toBe('Lezhë');

    await orgReply(desk, {
      from: org.address,
      inReplyTo: ack.messageId,
      subject: `Re: ${ack.subject}`,
      text: `Emri: ${'A'.repeat(10_000)}\n\nGenta`,
    });
    const updates = await waitFor(desk.stack, COORDINATOR_A, subjectHas(`Kërkesa u përditësua: ${org.name} [${ref}]`), 2);
    const refused = await bodyOf(updates[1]!);
    expect(refused).toMatch(/Emri[^\n]*refuz/);
    expect(refused).not.toContain('A'.repeat(300));
    expect((await desk.processor.store.get(ref))?.organization.name).toBe(org.name);

    // PO to the approval request sent before the organisation changed it: not counted.
    await replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'PO' });
    await waitFor(desk.stack, COORDINATOR_A, subjectHas(`Përgjigja juaj nuk u kuptua [${ref}]`));
    expect((await desk.processor.store.get(ref))?.status).toBe('pending');

    await replyTo(desk.stack, updates[0]!, { from: COORDINATOR_A, text: 'PO' });
    await waitFor(desk.stack, org.address, subjectHas(`approved [${ref}]`));
    const [statement] = await waitFor(desk.stack, LIST, subjectHas(`u shtua ${org.name}`));
    expect(await bodyOf(statement!)).toMatch(/Civic Lab Lezha \(CLL\) – Lezhë/);
  });

  it('gives organisations that share a mail domain a request each, shows the shared domain as a hint, and lets each change only its own', async () => {
    const orgs = [
      { name: 'Lidhja e Grave Korce', acronym: 'LGK', city: 'Korçë', person: 'Drita Kola', address: 'drita@house.example.net' },
      { name: 'Forumi Rinor Korce', acronym: 'FRK', city: 'Korçë', person: 'Ilir Meta', address: 'ilir@house.example.net' },
      { name: 'Shoqata Mjedisore Korce', acronym: 'SMK', city: 'Korçë', person: 'Besa Doko', address: 'besa@house.example.net' },
    ];
    const made = [];
    for (const org of orgs) made.push({ org, ...(await newRequest(org)) });
    expect(new Set(made.map((m) => m.ref)).size).toBe(3);
    for (const { org, ref } of made) {
      const mails = await inbox(desk.stack, org.address);
      expect(mails.map((m) => m.subject)).toEqual([expect.stringContaining(`[${ref}]`)]);
      expect(mails[0]!.subject).not.toMatch(/pending|pritje/);
    }
    expect(await bodyOf(made[1]!.forAna)).toContain(made[0]!.ref);

    const [first, second] = made as [(typeof made)[0], (typeof made)[0]];
    const seen = log.outcomes.length;
    await orgReply(desk, {
      from: second.org.address,
      inReplyTo: second.ack.messageId,
      subject: `Re: ${second.ack.subject}`,
      text: 'Emri: Forumi Rinor i Korçës\nQyteti: Korçë',
    });
    // The same sender aims at the first organisation's request.
    await orgReply(desk, {
      from: second.org.address,
      inReplyTo: `<${first.ref}.1.acknowledgement@example.org>`,
      subject: `Re: Konfirmim marrjeje [${first.ref}]`,
      text: 'Emri: Forumi Rinor i Korçës\nQyteti: Korçë',
    });
    await log.until(seen + 2);
    expect((await desk.processor.store.get(second.ref))?.organization.name).toBe('Forumi Rinor i Korçës');
    expect((await desk.processor.store.get(first.ref))?.organization.name).toBe(first.org.name);
  });
});

describe('withdrawals (issue 12 item 3)', () => {
  let desk: Desk;
  const log = processedLog();
  beforeAll(async () => {
    desk = await startDesk({ UNDO_WINDOW: '0' }, { logger: log.logger });
  });
  afterAll(async () => {
    await desk?.close();
  });

  const org = { name: 'Rural Futures Albania', acronym: 'RFA', city: 'Elbasan', person: 'Besnik Topi', address: 'besnik@rfa.example.net' };
  const withdrawal = (from: string, headers?: Record<string, string>) =>
    compose({
      from,
      subject: 'Withdrawal from the Joint Statement',
      text: 'Dear Coalition,\n\nRural Futures Albania (RFA) wishes to withdraw from the Coalition and asks that our signature be removed from the Joint Statement.\n\nBesnik Topi',
      ...(headers ? { headers } : {}),
    });
  const withdrawals = async () => (await desk.processor.store.list()).filter((r) => r.kind === 'withdrawal');

  beforeAll(async () => {
    await sendJoinRequest(desk.stack, joinFrom(org));
    const [ack] = await waitFor(desk.stack, org.address, subjectHas('[REQ-'));
    const [forAna] = await waitFor(desk.stack, COORDINATOR_A, subjectHas(`[${refOf(ack!)}]`));
    await replyTo(desk.stack, forAna!, { from: COORDINATOR_A, text: 'PO' });
    await waitFor(desk.stack, LIST, subjectHas(`u shtua ${org.name}`));
  });

  it('never counts a Reply-To: a stranger naming the signatory’s address there asks nothing', async () => {
    const seen = log.outcomes.length;
    await deliver(desk.stack.dovecot, INFO, await withdrawal('Mallory <mallory@attacker.example.com>', { 'Reply-To': org.address }));
    await log.until(seen + 1);
    await drained(desk);
    expect(await withdrawals()).toEqual([]);
    expect((await inbox(desk.stack, COORDINATOR_A)).filter((m) => /tërheqje/i.test(m.subject))).toEqual([]);
  });

  it("asks the signatory's registered contact first, so a forged From is stopped by its real owner", async () => {
    await deliver(desk.stack.dovecot, INFO, await withdrawal(`Besnik Topi <${org.address}>`));
    const [ask] = await waitFor(desk.stack, org.address, subjectHas('Please confirm'));
    const [w] = await withdrawals();
    expect(w?.status).toBe('awaiting_confirmation');
    expect((await inbox(desk.stack, COORDINATOR_A)).filter((m) => m.subject.includes(`[${w!.id}]`))).toEqual([]);

    // The real owner did not ask.
    await orgReply(desk, { from: org.address, inReplyTo: ask!.messageId, subject: `Re: ${ask!.subject}`, text: 'NO, we never asked for this.' });
    const [denied] = await waitFor(desk.stack, COORDINATOR_A, subjectHas(`[${w!.id}]`));
    expect(denied!.subject).toMatch(/nuk u konfirmua/);
    expect((await desk.processor.store.get(w!.id))?.status).toBe('not_request');
    const signatories = (await runCli(['signatories'], desk.stack.env)).stdout;
    expect(signatories).toContain(org.name);
  });

  it('puts a confirmed withdrawal to the coordinators, saying who sent it and from which address', async () => {
    await deliver(desk.stack.dovecot, INFO, await withdrawal(`Besnik Topi <${org.address}>`));
    const asks = await waitFor(desk.stack, org.address, subjectHas('Please confirm'), 2);
    const ask = asks[1]!;
    await orgReply(desk, { from: org.address, inReplyTo: ask.messageId, subject: `Re: ${ask.subject}`, text: 'YES' });
    const wref = refOf(ask);
    const [forBesa] = await waitFor(desk.stack, COORDINATOR_B, subjectHas(`tërheqje e ${org.name} [${wref}]`));
    const body = await bodyOf(forBesa!);
    expect(body).toContain(org.address);
    expect(body).toMatch(/konfirmua/);
    await replyTo(desk.stack, forBesa!, { from: COORDINATOR_B, text: 'PO' });
    await waitFor(desk.stack, LIST, subjectHas(`u tërhoq ${org.name}`));
  });
});

describe('the original of a large request (issue 12 item 9)', () => {
  let desk: Desk;
  beforeAll(async () => {
    desk = await startDesk({ UNDO_WINDOW: '0' });
  });
  afterAll(async () => {
    await desk?.close();
  });

  it('is not attached above the limit; the approval request says where it is, and the CLI prints it', async () => {
    const messageId = `<big.${Date.now()}@bigorg.example.net>`;
    const pdf = Buffer.alloc(3 * 1024 * 1024, 'x').toString('base64');
    const org = joinFrom({ name: 'Big Files Foundation', acronym: 'BFF', city: 'Durrës', person: 'Ola Hysa', address: 'ola@bigorg.example.net' });
    const raw = Buffer.from(
      [
        `From: ${org.from}`,
        `To: ${INFO}`,
        `Subject: ${org.subject}`,
        `Message-ID: ${messageId}`,
        'Date: Mon, 30 Nov 2026 09:00:00 +0100',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        org.text,
        '--b1',
        'Content-Type: application/octet-stream; name="statute.bin"',
        'Content-Disposition: attachment; filename="statute.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        ...(pdf.match(/.{1,76}/g) ?? []),
        '--b1--',
        '',
      ].join('\r\n'),
    );
    await deliver(desk.stack.dovecot, INFO, raw);
    const [ack] = await waitFor(desk.stack, 'ola@bigorg.example.net', subjectHas('[REQ-'), 1, 30_000);
    const ref = refOf(ack!);
    const [forAna] = await waitFor(desk.stack, COORDINATOR_A, subjectHas(`[${ref}]`), 1, 30_000);
    expect(forAna!.source.length).toBeLessThan(200_000);
    expect(forAna!.source.toString()).not.toMatch(/message\/rfc822/);
    const body = await bodyOf(forAna!);
    expect(body).toContain('Coalition/Processed');
    expect(body).toContain(`coalition request ${ref} --raw`);

    const printed = await runCli(['request', ref, '--raw'], desk.stack.env);
    expect(printed.stderr).toBe('');
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain(`Message-ID: ${messageId}`);
    expect(printed.stdout.length).toBeGreaterThan(raw.length - 1000);
  });
});

describe('mail to third parties and loops (issue 12 items 4 and 8, issue 14 defect 1)', () => {
  let desk: Desk;
  const log = processedLog();
  beforeAll(async () => {
    desk = await startDesk({ UNDO_WINDOW: '0', SMTP_RATE_PER_SECOND: '50' }, { logger: log.logger });
  });
  afterAll(async () => {
    await desk?.close();
  });

  async function send(raws: Buffer[]) {
    const seen = log.outcomes.length;
    for (const raw of raws) await deliver(desk.stack.dovecot, INFO, raw);
    await log.until(seen + raws.length);
    await drained(desk);
  }
  const request = (from: string, name: string, o: { extra?: string; headers?: Record<string, string> } = {}) =>
    compose({
      from,
      subject: 'Request to join the Coalition',
      text: `Dear Coalition,\n\nOur organisation, ${name}, based in Tirana, would like to join the Coalition and sign the Joint Statement.${o.extra ?? ''}\n\nBest regards,\nM.`,
      ...(o.headers ? { headers: o.headers } : {}),
    });

  it('answers 20 requests naming one victim in Reply-To without a single mail to the victim', async () => {
    const raws = [];
    for (let i = 1; i <= 20; i++) {
      raws.push(await request('Mallory <mallory@attacker.example.com>', `Cheap Pills Online Foundation ${i}`, { headers: { 'Reply-To': 'victim@victim.example.net' } }));
    }
    await send(raws);
    expect(sentTo(desk, 'victim@victim.example.net')).toHaveLength(0);
    // The sender itself is answered, within the per-recipient cap.
    expect(sentTo(desk, 'mallory@attacker.example.com').length).toBeLessThanOrEqual(10);
  });

  it('writes to no address in the body, in a quoted forward, on the coalition list, our own address or a coordinator', async () => {
    const before = desk.stack.smtp.messages.length;
    await send([
      await request('Pills <pills@attacker2.example.com>', 'Cheap Pills Online Foundation', { extra: '\n\nEmail: director@victim2.example.net' }),
      await compose({
        from: 'Forwarder <fwd@attacker3.example.com>',
        subject: 'Fwd: Request to join the Coalition',
        text: '---------- Forwarded message ---------\nFrom: Victim Org <director@victim3.example.net>\nDate: Mon, 30 Nov 2026\nSubject: Request to join\n\nOur organisation, Victim Org Foundation, based in Tirana, would like to join the Coalition and sign the Joint Statement.\n\nDirector',
      }),
      await request(`Coalition list <${LIST}>`, 'List Relay Foundation', { headers: { 'List-Id': '<members.lists.example.org>' } }),
      await request('Someone <someone@lists.example.org>', 'Listed Foundation', { headers: { 'List-Id': '<members.lists.example.org>', 'Precedence': 'list' } }),
      await request(`Koalicioni <${INFO}>`, 'Own Address Foundation'),
      await request(`Ana <${COORDINATOR_A}>`, 'Coordinator Own Foundation'),
    ]);
    for (const a of ['director@victim2.example.net', 'director@victim3.example.net', LIST, 'someone@lists.example.org', INFO]) {
      expect(sentTo(desk, a), a).toHaveLength(0);
    }
    const toAna = desk.stack.smtp.messages.slice(before).filter((m) => m.to.includes(COORDINATOR_A)).map((m) => subjectOfRaw(m.raw));
    expect(toAna.filter((s) => /Konfirmim marrjeje|received your request/.test(s))).toEqual([]);
    // The address in the body is shown to the coordinators as a proposed contact, nothing more.
    const [approval] = await inbox(desk.stack, COORDINATOR_A, subjectHas('Kërkesë për miratim: Cheap Pills Online Foundation ['));
    expect(await bodyOf(approval!)).toContain('director@victim2.example.net');
  });

  it('ends a coordinator autoresponder loop after one help mail', async () => {
    await sendJoinRequest(desk.stack, joinFrom({ name: 'Loop Test Association', acronym: 'LTA', city: 'Fier', person: 'Ada Hila', address: 'ada@lta.example.net' }));
    const [ack] = await waitFor(desk.stack, 'ada@lta.example.net', subjectHas('[REQ-'));
    const ref = refOf(ack!);
    const [first] = await waitFor(desk.stack, COORDINATOR_A, subjectHas(`[${ref}]`));
    const answered = new Set<string>();
    let deskMails = 0;
    for (let round = 0; round < 10; round++) {
      const fresh = (await inbox(desk.stack, COORDINATOR_A, subjectHas(`[${ref}]`))).filter((m) => !answered.has(m.messageId));
      if (!fresh.length) break;
      const seen = log.outcomes.length;
      for (const m of fresh) {
        answered.add(m.messageId);
        if (m.messageId !== first!.messageId) deskMails += 1;
        // A neutral autoresponder: no Auto-Submitted, DKIM-signed by the coordinator's domain.
        await replyTo(desk.stack, m, { from: COORDINATOR_A, text: 'Faleminderit për mesazhin tuaj' });
      }
      await log.until(seen + fresh.length);
      await drained(desk);
    }
    // One help mail for the autoresponse to the approval request; none for the autoresponse to the help mail.
    expect(deskMails).toBe(1);
  });

  it('warns the coordinators of 40 forged replies a few times in the window, never quoting them', async () => {
    await sendJoinRequest(desk.stack, joinFrom({ name: 'Warned Association', acronym: 'WAS', city: 'Berat', person: 'Eda Leka', address: 'eda@was.example.net' }));
    const [ack] = await waitFor(desk.stack, 'eda@was.example.net', subjectHas('[REQ-'));
    const ref = refOf(ack!);
    const [forAna] = await waitFor(desk.stack, COORDINATOR_A, subjectHas(`[${ref}]`));
    const warnings = () => inbox(desk.stack, COORDINATOR_B, subjectHas('një vendim i pavërtetuar u shpërfill'));
    const before = (await warnings()).length;
    const seen = log.outcomes.length;
    for (let i = 1; i <= 40; i++) {
      await replyTo(desk.stack, forAna!, {
        from: `"URGENT reply PO at http://evil.example.com/${i}" <mallory${i}@evil.example.com>`,
        text: 'PO',
        dkim: false,
      });
    }
    await log.until(seen + 40);
    await drained(desk);
    const r = await desk.processor.store.get(ref);
    expect(r?.audit.filter((a) => a.event === 'unauthenticated_attempt')).toHaveLength(40);
    const got = (await warnings()).slice(before);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThanOrEqual(5);
    for (const m of got) expect(await bodyOf(m)).not.toMatch(/URGENT|http:\/\/evil/);
  });
});

describe('a flood from one sender (issue 12 item 4)', () => {
  let desk: Desk;
  const log = processedLog();
  beforeAll(async () => {
    desk = await startDesk({ UNDO_WINDOW: '0', SMTP_RATE_PER_SECOND: '100' }, { logger: log.logger });
  });
  afterAll(async () => {
    await desk?.close();
  });

  it('answers 300 requests from one sender in a minute within the caps, and records every one', async () => {
    for (let i = 1; i <= 300; i++) {
      await deliver(
        desk.stack.dovecot,
        INFO,
        await compose({
          from: 'Flood <flood@spam.example.net>',
          subject: 'Request to join the Coalition',
          text: `Dear Coalition,\n\nOur organisation, Flood Foundation Number ${i}, based in Tirana, would like to join the Coalition and sign the Joint Statement.\n\nFlood`,
        }),
      );
    }
    await log.until(300, 180_000);
    await drained(desk);
    expect((await desk.processor.store.list()).length).toBe(300);
    const toSender = sentTo(desk, 'flood@spam.example.net').length;
    const all = desk.stack.smtp.messages.length;
    expect(toSender).toBeLessThanOrEqual(10);
    expect(all).toBeLessThanOrEqual(30);
  }, 300_000);
});
