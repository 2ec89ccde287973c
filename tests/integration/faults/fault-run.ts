import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { RegistryStore } from '../../../src/adapters/redis/registry-store.ts';
import { RequestStore } from '../../../src/adapters/redis/request-store.ts';
import { loadStatementSource } from '../../../src/adapters/templates/statement-source.ts';
import { QUEUES } from '../../../src/contracts/queues.ts';
import { Dovecot } from '../../../src/devstack/dovecot.ts';
import { FINAL_STATUSES, OPEN_STATUSES, type RequestRecord } from '../../../src/domain/request.ts';
import { cappedRecordsKey } from '../../../src/adapters/smtp/outbox.ts';
import { deliver, imapAs } from '../../harness/mailbox.ts';
import { COORDINATOR_A, COORDINATOR_B, INFO, LIST } from '../../harness/stack.ts';
import { compose, joinFrom } from '../flow/desk.ts';
import { AofRedis, QueueingMta, seeded } from './world.ts';

/**
 * A seeded, time-bounded fault run: a stream of join requests (some
 * organisations write twice) and coordinators deciding by reply, while the
 * desk is SIGKILLed at random moments and restarted, Redis (AOF) and Dovecot
 * restart, and the SMTP side refuses for a while. Then the desk gets time to
 * finish, and the invariants of the issue are checked against what Redis and
 * the Dovecot mailboxes really hold:
 *  - every organisation that wrote has exactly one request, final or open;
 *  - each was acknowledged exactly once;
 *  - each approved one is in the registry exactly once, a rejected one never;
 *  - every mail reached each of its recipients exactly once (by Message-ID);
 *  - statement versions are consecutive, each announced to the list once.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..');

export interface FaultOptions {
  seed: number;
  organisations: number;
  /** Requests and faults arrive within this time (ms). */
  streamMs: number;
  kills: number;
  redisRestarts: number;
  dovecotRestarts: number;
  smtpRefusals: number;
  /** Time the desk has after the stream to finish everything before what is left counts as a hang (ms). */
  settleMs: number;
  /** Share of organisations that write a second time soon after the first. */
  twiceShare?: number;
  /** Share of streamMs within which the requests arrive (0.8: the last fifth is faults only). */
  arrivalShare?: number;
  /** A coordinator answers an approval request within this time after it is seen (ms; 2000). */
  decideWithinMs?: number;
  /** Settings for the desk on top of the run's own (the load run lifts the mail caps and the SMTP rate). */
  env?: Record<string, string>;
  /** LMTP deliveries the suite's MTA runs at once (1). */
  mtaConcurrency?: number;
  /** Targets of the load run, each a violation when missed: the desk's peak RSS (MiB), its drain time after the last request (ms). */
  targets?: { maxRssMiB?: number; drainMs?: number };
  log?: (line: string) => void;
}

export interface FaultSummary {
  seed: number;
  faults: { kill: number; redis: number; dovecot: number; smtp: number };
  organisations: number;
  requests: number;
  losses: number;
  duplicates: number;
  crashes: number;
  hangs: number;
  maxRssMiB: number;
  /** RSS of the desk once it said it runs, before any mail (MiB). */
  startRssMiB: number;
  maxMailsToOneAddress: number;
  approved: number;
  rejected: number;
  statementVersion: number;
  durationMs: number;
  /** From the first request to the last one delivered into info@ (ms). */
  streamMs: number;
  /** From the last request delivered to everything final and every queue empty (ms; null: it never drained). */
  drainMs: number | null;
  /** Requests received per second of stream plus drain. */
  requestsPerSecond: number;
  /** Mails the desk held back by a cap (data:outbox:capped). */
  capped: number;
  /** The settings given on top of the run's own (shown in the table). */
  env: Record<string, string>;
  targets: { maxRssMiB?: number; drainMs?: number };
  /** One line per broken invariant (empty when all hold). */
  violations: string[];
}

interface Org {
  name: string;
  acronym: string;
  city: string;
  person: string;
  address: string;
  twice: boolean;
}

type Fault = { at: number; kind: 'kill' | 'redis' | 'dovecot' | 'smtp'; forMs: number };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The larger of a process's resident set now and its peak so far (VmHWM: the kernel's high-water mark, so nothing between two samples is missed). */
function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (f: string) => Number(new RegExp(`${f}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return Math.max(kb('VmRSS'), kb('VmHWM')) / 1024;
  } catch {
    return 0;
  }
}

interface Envelope {
  uid: number;
  subject: string;
  messageId: string;
}

/**
 * Subject and Message-ID of every message in a user's INBOX with a UID above `after`: envelopes only, so a
 * coordinator's thousands of approval requests (each with the original attached) are not read again every poll.
 */
async function envelopes(dovecot: Dovecot, address: string, after = 0): Promise<Envelope[]> {
  const c = imapAs(dovecot, address);
  await c.connect();
  try {
    const lock = await c.getMailboxLock('INBOX', { readOnly: true });
    try {
      const out: Envelope[] = [];
      if (!(c.mailbox && c.mailbox.exists)) return out;
      for await (const m of c.fetch(`${after + 1}:*`, { uid: true, envelope: true }, { uid: true })) {
        if (m.uid > after) out.push({ uid: m.uid, subject: m.envelope?.subject ?? '', messageId: m.envelope?.messageId ?? '' });
      }
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await c.logout().catch(() => undefined);
  }
}

/** How many messages a user's INBOX holds (STATUS, no fetch). */
async function countInbox(dovecot: Dovecot, address: string): Promise<number> {
  const c = imapAs(dovecot, address);
  await c.connect();
  try {
    const status = await c.status('INBOX', { messages: true });
    if (!status) throw new Error(`no STATUS for ${address}`);
    return status.messages ?? 0;
  } finally {
    await c.logout().catch(() => undefined);
  }
}

/** `f` over `xs`, at most `n` at once, results in order. */
async function pooled<T, R>(xs: readonly T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(xs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, xs.length) }, async () => {
      while (next < xs.length) {
        const i = next++;
        out[i] = await f(xs[i] as T);
      }
    }),
  );
  return out;
}

/** Ends the imap processes Dovecot forked for open sessions (halt() alone leaves them running). */
function killImapSessions(port: number): void {
  try {
    const out = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${port} )`]).toString();
    for (const m of out.matchAll(/pid=(\d+)/g)) {
      try {
        process.kill(Number(m[1]), 'SIGKILL');
      } catch {
        // gone already
      }
    }
  } catch {
    // no ss: the sessions end when their clients notice the dead master
  }
}

async function retry<T>(what: () => Promise<T>, until: () => boolean): Promise<T | null> {
  for (;;) {
    try {
      return await what();
    } catch {
      if (until()) return null;
      await sleep(300);
    }
  }
}

/**
 * The settings of the load run on top of the fault run's: the caps on automatic mail that thousands of
 * requests fill on purpose (every approval request goes to both coordinators, every new statement version to
 * the list, 500 mails an hour in all) are raised far above what the run sends, and the desk may send 500 mails
 * a second. MAIL_CAP_PER_REQUEST and MAIL_CAP_WARNINGS keep their defaults: no single request comes near them.
 */
export const LOAD_ENV: Readonly<Record<string, string>> = {
  MAIL_CAP_PER_RECIPIENT: '1000000/1d',
  MAIL_CAP_PER_COORDINATOR: '1000000/1d',
  MAIL_CAP_PER_SENDER: '1000000/1d',
  MAIL_CAP_TOTAL: '1000000/1h',
  SMTP_RATE_PER_SECOND: '500',
};

export async function runFaults(o: FaultOptions): Promise<FaultSummary> {
  const log = o.log ?? (() => undefined);
  const t0 = Date.now();
  const rng = seeded(o.seed);
  const orgs: Org[] = Array.from({ length: o.organisations }, (_, i) => ({
    name: `Shoqata Qytetare ${i + 1} ${rng.pick(['Drita', 'Ura', 'Zëri', 'Fjala', 'Rrënja', 'Hapësira'])}`,
    acronym: `SQ${i + 1}X`,
    city: rng.pick(['Tiranë', 'Shkodër', 'Korçë', 'Vlorë', 'Elbasan', 'Durrës']),
    person: `Person ${i + 1}`,
    address: `kontakt@org${i + 1}.example.net`,
    twice: rng.chance(o.twiceShare ?? 0.2),
  }));
  const arrivals = orgs
    .flatMap((org, i) => {
      const at = Math.floor(rng.next() * o.streamMs * (o.arrivalShare ?? 0.8));
      return [{ at, org, n: 1, i }, ...(org.twice ? [{ at: at + rng.int(100, 2500), org, n: 2, i }] : [])];
    })
    .sort((a, b) => a.at - b.at);
  const faults: Fault[] = [];
  const add = (kind: Fault['kind'], count: number, forMs: () => number) => {
    for (let k = 0; k < count; k++) faults.push({ at: Math.floor(o.streamMs * (0.1 + 0.75 * rng.next())), kind, forMs: forMs() });
  };
  add('kill', o.kills, () => rng.int(0, 800));
  add('redis', o.redisRestarts, () => rng.int(0, 1000));
  add('dovecot', o.dovecotRestarts, () => rng.int(300, 2000));
  add('smtp', o.smtpRefusals, () => rng.int(2000, 5000));
  faults.sort((a, b) => a.at - b.at);

  const redis = await AofRedis.start();
  const cleanups: (() => Promise<unknown>)[] = [() => redis.stop()];
  const dovecot = await Dovecot.start({
    users: { [INFO]: 'info-secret', [COORDINATOR_A]: 'ana-secret', [COORDINATOR_B]: 'besa-secret', [LIST]: 'list-secret' },
  });
  cleanups.push(() => dovecot.stop());
  const mta = await QueueingMta.start(dovecot, o.mtaConcurrency ?? 1);
  cleanups.push(() => mta.stop());
  const prefix = `faults-${o.seed}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'silent',
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    IMAP_HOST: '127.0.0.1',
    IMAP_PORT: String(dovecot.imapPort),
    IMAP_SECURE: 'false',
    IMAP_USER: INFO,
    IMAP_PASSWORD: 'info-secret',
    IMAP_POLL_INTERVAL: '1s',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(mta.port),
    SMTP_SECURE: 'false',
    SMTP_RETRY_DELAY: '200ms',
    SMTP_RETRY_MAX_DELAY: '2s',
    SMTP_RATE_PER_SECOND: '50',
    COALITION_ADDRESS: INFO,
    COORDINATORS: `${COORDINATOR_A},${COORDINATOR_B}`,
    COALITION_LIST: LIST,
    COORDINATOR_AUTH: 'token',
    TOKEN_SECRET: randomBytes(32).toString('hex'),
    PROCESS_SINCE: '2000-01-01',
    UNDO_WINDOW: '0',
    REMINDER_AFTER: '3d',
    REQUEST_TTL: '30d',
    // The run decides every request by replying to its own approval mail: no digest, however many arrive.
    APPROVAL_DIGEST: 'off',
    ...o.env,
  };

  // ---------------------------------------------------------------- the desk, supervised
  let desk: ChildProcess | null = null;
  let killedByUs = false;
  /** How long a killed desk stays down before the supervisor starts it again (ms). */
  let restartAfter = 200;
  let stopping = false;
  let crashes = 0;
  let maxRss = 0;
  let startRss = 0;
  const start = (): void => {
    const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/integration/faults/desk-child.ts')], {
      cwd: ROOT,
      env: { ...process.env, FAULT_DESK: JSON.stringify({ env }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    c.stdout!.on('data', (b: Buffer) => {
      if (!startRss && c.pid && b.toString().includes('"started"')) startRss = rssMiB(c.pid);
    });
    let stderr = '';
    c.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
    c.once('exit', (code, signal) => {
      if (desk === c) desk = null;
      if (stopping && !killedByUs) return;
      if (killedByUs) killedByUs = false;
      else {
        crashes += 1;
        log(`desk exited by itself (code ${code}, signal ${signal}): ${stderr.slice(-500)}`);
      }
      if (!stopping) setTimeout(start, restartAfter);
      restartAfter = 200;
    });
    desk = c;
  };
  const killOnExit = (): void => void desk?.kill('SIGKILL');
  process.once('exit', killOnExit);
  cleanups.push(async () => {
    stopping = true;
    const c = desk;
    if (c && c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    }
    process.removeListener('exit', killOnExit);
  });
  const sampler = setInterval(() => {
    if (desk?.pid) maxRss = Math.max(maxRss, rssMiB(desk.pid));
  }, 250);
  cleanups.push(async () => clearInterval(sampler));

  try {
    start();
    // ---------------------------------------------------------------- coordinators, deciding by reply
    const answered = new Set<string>();
    const seenUid = new Map<string, number>();
    const decideWithin = o.decideWithinMs ?? 2000;
    let deciding = true;
    const decideLoop = (async () => {
      while (deciding) {
        for (const coordinator of [COORDINATOR_A, COORDINATOR_B]) {
          let mails: Envelope[];
          try {
            mails = await envelopes(dovecot, coordinator, seenUid.get(coordinator) ?? 0);
          } catch {
            continue; // Dovecot restarting
          }
          seenUid.set(coordinator, Math.max(seenUid.get(coordinator) ?? 0, ...mails.map((m) => m.uid)));
          for (const m of mails.filter((x) => x.subject.startsWith('Kërkesë për miratim'))) {
            const tag = `${coordinator}|${m.messageId}`;
            if (answered.has(tag)) continue;
            answered.add(tag);
            // Each coordinator's choice depends only on the seed and the request: the same run decides the same.
            const h = createHash('sha256').update(`${o.seed}|${tag.replace(/<.*/, '')}|${m.subject}`).digest();
            const answers = coordinator === COORDINATOR_A || (h[1] as number) < 52; // Besa answers one in five
            if (!answers) continue;
            const text = (h[0] as number) < 192 ? 'PO' : 'JO';
            void (async () => {
              if (decideWithin) await sleep(((h[2] as number) / 255) * decideWithin);
              const raw = await compose({
                from: coordinator,
                subject: `Re: ${m.subject}`,
                text: `${text}\n\n> ${m.subject}`,
                inReplyTo: m.messageId,
                references: [m.messageId],
              });
              await retry(() => deliver(dovecot, INFO, raw, coordinator), () => !deciding);
            })();
          }
        }
        await sleep(decideWithin ? 500 : 250);
      }
    })();

    // ---------------------------------------------------------------- the stream and the faults
    const counted = { kill: 0, redis: 0, dovecot: 0, smtp: 0 };
    const inFlight: Promise<unknown>[] = [];
    const timeline = [
      ...arrivals.map((a) => ({ at: a.at, run: () => void inFlight.push(sendRequest(a.org, a.n)) })),
      ...faults.map((f) => ({ at: f.at, run: () => void inFlight.push(inject(f)) })),
    ].sort((a, b) => a.at - b.at);
    const sendRequest = async (org: Org, n: number) => {
      const raw = await compose({ ...joinFrom(org, 'sq'), messageId: `<join.${n}.${org.acronym}.${o.seed}@${org.address.split('@')[1]}>` });
      await retry(() => deliver(dovecot, INFO, raw, org.address), () => false);
    };
    const inject = async (f: Fault) => {
      if (f.kind === 'kill' && !desk) return; // between a crash and its restart: nothing to kill
      counted[f.kind] += 1;
      log(`${((Date.now() - t0) / 1000).toFixed(1)}s fault: ${f.kind}${f.forMs ? ` (${f.forMs} ms)` : ''}`);
      switch (f.kind) {
        case 'kill': {
          const c = desk;
          if (!c) return;
          killedByUs = true;
          restartAfter = Math.max(200, f.forMs);
          c.kill('SIGKILL');
          return;
        }
        case 'redis':
          await redis.restart(f.forMs);
          return;
        case 'dovecot':
          await dovecot.halt();
          killImapSessions(dovecot.imapPort);
          await sleep(f.forMs);
          await dovecot.resume();
          return;
        case 'smtp':
          mta.refusing = true;
          await sleep(f.forMs);
          mta.refusing = false;
          return;
      }
    };
    const streamStart = Date.now();
    for (const e of timeline) {
      const wait = streamStart + e.at - Date.now();
      if (wait > 0) await sleep(wait);
      e.run();
    }
    await Promise.all(inFlight);
    const streamEnd = Date.now();
    log(`${((Date.now() - t0) / 1000).toFixed(1)}s stream done: ${arrivals.length} mails from ${orgs.length} organisations, ${faults.length} faults`);

    // ---------------------------------------------------------------- let the desk finish
    const probe = new Redis(redis.url, { maxRetriesPerRequest: null });
    probe.on('error', () => undefined);
    const ks = keyspace(prefix);
    const store = new RequestStore(probe, ks);
    const conns = [0, 1, 2].map(() => probe.duplicate());
    const queues = [QUEUES.inbound, QUEUES.timers, QUEUES.outbound].map((q, i) => new Queue(q, { connection: conns[i] as Redis, prefix: ks.bull }));
    cleanups.push(async () => {
      for (const q of queues) await q.close().catch(() => undefined);
      for (const c of conns) await c.quit().catch(() => undefined);
      await store.close();
      await probe.quit().catch(() => undefined);
    });
    const idle = async (): Promise<boolean> => {
      let n = mta.pending;
      for (const q of queues) n += Object.values(await q.getJobCounts('wait', 'active', 'delayed', 'prioritized')).reduce((a, b) => a + b, 0) - (q.name === QUEUES.timers ? await q.getDelayedCount() : 0);
      return n === 0;
    };
    const finalFor = (rs: RequestRecord[], org: Org) => rs.some((r) => r.senderAddress === org.address && FINAL_STATUSES.includes(r.status));
    const deadline = Date.now() + o.settleMs;
    let requests: RequestRecord[] = [];
    let done = false;
    while (Date.now() < deadline) {
      try {
        requests = await store.list();
        done = orgs.every((org) => finalFor(requests, org)) && (await countInbox(dovecot, INFO)) === 0 && (await idle());
      } catch {
        done = false;
      }
      if (done) {
        // Quiet twice in a row, a moment apart: nothing was between two queues.
        await sleep(1000);
        if (await idle()) break;
        done = false;
      }
      await sleep(500);
    }
    const drainMs = done ? Date.now() - streamEnd : null;
    const running = desk as ChildProcess | null; // set by the supervisor's callbacks
    if (running?.pid) maxRss = Math.max(maxRss, rssMiB(running.pid));
    log(`${((Date.now() - t0) / 1000).toFixed(1)}s ${done ? `drained ${(drainMs! / 1000).toFixed(1)} s after the last request` : 'not drained'}`);
    deciding = false;
    await decideLoop;
    stopping = true;
    if (desk) {
      const c: ChildProcess = desk;
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([gone, sleep(15_000)]);
    }

    // ---------------------------------------------------------------- the invariants
    requests = await store.list();
    const violations: string[] = [];
    let losses = 0;
    let duplicates = 0;
    let hangs = done ? 0 : 1;
    const registry = new RegistryStore(probe, ks, loadStatementSource().founding);
    const current = await registry.current();
    const addresses = [COORDINATOR_A, COORDINATOR_B, LIST, ...orgs.map((x) => x.address)];
    const read = await pooled(addresses, 8, async (a) => (dovecot.hasUser(a) ? await envelopes(dovecot, a) : []));
    const mailboxes = new Map<string, Envelope[]>(addresses.map((a, i) => [a, read[i] as Envelope[]]));
    for (const org of orgs) {
      const mine = requests.filter((r) => r.senderAddress === org.address);
      if (mine.length === 0) {
        losses += 1;
        violations.push(`${org.name}: no request`);
        continue;
      }
      if (mine.length > 1) {
        duplicates += mine.length - 1;
        violations.push(`${org.name}: ${mine.length} requests`);
      }
      const r = mine[0] as RequestRecord;
      if (!FINAL_STATUSES.includes(r.status) && !OPEN_STATUSES.includes(r.status)) violations.push(`${r.id}: left in ${r.status}`);
      if (!FINAL_STATUSES.includes(r.status)) {
        hangs += 1;
        violations.push(`${r.id} (${org.name}): still ${r.status} at the end`);
      }
      const inbox = mailboxes.get(org.address) ?? [];
      const acks = inbox.filter((m) => m.subject.startsWith('Konfirmim marrjeje')).length;
      if (acks !== 1) {
        if (acks === 0) losses += 1;
        else duplicates += acks - 1;
        violations.push(`${org.name}: acknowledged ${acks} times`);
      }
      const listed = current?.signatories.filter((s) => s.name === org.name).length ?? 0;
      if (r.status === 'approved' && listed !== 1) {
        if (listed === 0) losses += 1;
        else duplicates += listed - 1;
        violations.push(`${org.name}: approved, listed ${listed} times`);
      }
      if (r.status === 'rejected' && listed !== 0) violations.push(`${org.name}: rejected, but listed`);
      // "… u miratua [REQ-…]" when approved, "… nuk u miratua [REQ-…]" when rejected.
      const answered = (m: Envelope) => /\bu miratua \[/.test(m.subject) && (r.status === 'rejected') === m.subject.includes('nuk u miratua');
      const answers = r.status === 'approved' || r.status === 'rejected' ? inbox.filter(answered).length : null;
      if (answers !== null && answers !== 1) {
        if (answers === 0) losses += 1;
        else duplicates += answers - 1;
        violations.push(`${org.name}: ${r.status}, but its answer arrived ${answers} times`);
      }
    }
    for (const [address, mails] of mailboxes) {
      const byId = new Map<string, number>();
      for (const m of mails) byId.set(m.messageId, (byId.get(m.messageId) ?? 0) + 1);
      for (const [id, n] of byId) {
        if (n > 1) {
          duplicates += n - 1;
          violations.push(`${address}: ${id} delivered ${n} times`);
        }
      }
    }
    const latest = current?.number ?? 1;
    let previous: number | null = null;
    for (let n = 1; n <= latest; n++) {
      const v = await registry.version(n);
      if (!v || v.number !== n) {
        violations.push(`statement version ${n} missing`);
        continue;
      }
      if (previous !== null && Math.abs(v.signatories.length - previous) !== 1) violations.push(`statement version ${n} changed ${v.signatories.length - previous} signatories`);
      previous = v.signatories.length;
    }
    const announcements = (mailboxes.get(LIST) ?? []).filter((m) => m.subject.startsWith('Deklarata e Përbashkët – versioni')).length;
    if (announcements !== latest - 1) violations.push(`the list got ${announcements} statement mails for ${latest - 1} new versions`);
    const approved = requests.filter((r) => r.status === 'approved').length;
    if (approved !== latest - 1) violations.push(`${approved} approvals but ${latest - 1} new statement versions`);
    if (crashes) violations.push(`${crashes} crash(es) of the desk`);
    const capped = await probe.hlen(cappedRecordsKey(ks));
    const targets = o.targets ?? {};
    if (targets.maxRssMiB !== undefined && maxRss > targets.maxRssMiB)
      violations.push(`the desk's peak RSS was ${Math.round(maxRss)} MiB, over the ${targets.maxRssMiB} MiB bound`);
    if (targets.drainMs !== undefined && (drainMs === null || drainMs > targets.drainMs))
      violations.push(`the desk did not keep up: drained ${drainMs === null ? 'never' : `${(drainMs / 1000).toFixed(0)} s`} after the last request (target ${(targets.drainMs / 1000).toFixed(0)} s)`);
    const streamMs = streamEnd - streamStart;
    return {
      seed: o.seed,
      faults: counted,
      organisations: orgs.length,
      requests: requests.length,
      losses,
      duplicates,
      crashes,
      hangs,
      maxRssMiB: Math.round(maxRss),
      startRssMiB: Math.round(startRss),
      maxMailsToOneAddress: Math.max(0, ...[...mailboxes.values()].map((m) => m.length)),
      approved,
      rejected: requests.filter((r) => r.status === 'rejected').length,
      statementVersion: latest,
      durationMs: Date.now() - t0,
      streamMs,
      drainMs,
      requestsPerSecond: requests.length / ((streamMs + (drainMs ?? Date.now() - streamEnd)) / 1000),
      capped,
      env: o.env ?? {},
      targets,
      violations,
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

export function formatSummary(s: FaultSummary): string {
  const faults = `${s.faults.kill + s.faults.redis + s.faults.dovecot + s.faults.smtp} (SIGKILL ${s.faults.kill}, Redis restart ${s.faults.redis}, Dovecot restart ${s.faults.dovecot}, SMTP refusing ${s.faults.smtp})`;
  const rows: [string, string][] = [
    ['seed', String(s.seed)],
    ['faults injected', faults],
    ['requests', `${s.requests} from ${s.organisations} organisations (${s.approved} approved, ${s.rejected} rejected; statement version ${s.statementVersion})`],
    ['losses', String(s.losses)],
    ['duplicates', String(s.duplicates)],
    ['crashes', String(s.crashes)],
    ['hangs', String(s.hangs)],
    ['max RSS of the desk', `${s.maxRssMiB} MiB (${s.startRssMiB} MiB when it started${s.targets.maxRssMiB === undefined ? '' : `; bound ${s.targets.maxRssMiB} MiB`})`],
    ['mails to any single address', String(s.maxMailsToOneAddress)],
    ['mails held by a cap', String(s.capped)],
    ['stream', `${(s.streamMs / 1000).toFixed(1)} s`],
    ['drain after the last request', `${s.drainMs === null ? 'never (hang)' : `${(s.drainMs / 1000).toFixed(1)} s`}${s.targets.drainMs === undefined ? '' : ` (target ${(s.targets.drainMs / 1000).toFixed(0)} s)`}`],
    ['requests per second', s.requestsPerSecond.toFixed(1)],
    ['run time', `${(s.durationMs / 1000).toFixed(0)} s`],
    ...Object.entries(s.env).map(([k, v]): [string, string] => [`setting ${k}`, v]),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const line = `+-${'-'.repeat(w)}-+-${'-'.repeat(Math.max(...rows.map(([, v]) => v.length)))}-+`;
  const vw = line.length - w - 7;
  const body = rows.map(([k, v]) => `| ${k.padEnd(w)} | ${v.padEnd(vw)} |`);
  return [line, ...body, line, ...s.violations.map((v) => `  ! ${v}`)].join('\n');
}
