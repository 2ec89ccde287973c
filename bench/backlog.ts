/**
 * Catch-up speed (issue 10): N join requests already waiting in info@ when the
 * desk starts; the time until every organisation has its acknowledgement, and
 * the same-work ceiling measured in the same run on the same servers:
 *   - read: the bare imapflow fetch + mailparser parse of the same N messages;
 *   - send: nodemailer alone sending as many mails as the desk sent, through the
 *     same SMTP capture (which delivers each into Dovecot over LMTP, as for the desk).
 * The ceiling time is read + send; the fraction is ceiling time / desk time.
 *
 * The desk runs as `coalition start` in a child process (black box), so its peak
 * RSS is its own (VmHWM from /proc), not the capture's or this script's.
 *
 * `npx tsx bench/backlog.ts [N ...] [--json FILE] [--profile DIR]`. Not a test.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { QUEUES } from '../src/contracts/queues.ts';
import { settingNames } from '../scripts/settings-table.ts';
import { INFO, startStack, type Stack } from '../tests/harness/stack.ts';

const ROOT = join(import.meta.dirname, '..');
const SANDBOX_PASSWORD = 'bench-secret';

/** The V8 heap the desk runs with, as `npm start` (scripts/start.sh) and the Dockerfile start it. */
export const DESK_NODE_FLAGS = ['--max-old-space-size=192'];

/** Desk settings the bench takes from its own environment, prefixed: BENCH_SMTP_MAX_CONNECTIONS=5. */
function benchEnv(): Record<string, string> {
  const settings = new Set(settingNames());
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('BENCH_') && v !== undefined && settings.has(k.slice(6))) out[k.slice(6)] = v;
  }
  return out;
}

/**
 * The bench's mail world: any address logs in (Dovecot makes its mailbox), no undo window, the sending rate
 * and the mail caps lifted (as issue 10's own measurement lifted the rate), approval digests off so each
 * request costs the ceiling's three mails; then BENCH_* settings, then `env`.
 */
export function benchStack(env: Record<string, string> = {}): Promise<Stack> {
  return startStack({
    dovecot: { anyUserPassword: SANDBOX_PASSWORD },
    env: {
      IMAP_PASSWORD: SANDBOX_PASSWORD,
      UNDO_WINDOW: '0',
      SMTP_RATE_PER_SECOND: '10000',
      MAIL_CAP_TOTAL: '1000000/1h',
      MAIL_CAP_PER_COORDINATOR: '1000000/1h',
      LOG_LEVEL: 'warn',
      APPROVAL_DIGEST: 'off',
      ...benchEnv(),
      ...env,
    },
  });
}

/** `coalition start [args]` as a black box in a child process, with the deployed heap (DESK_NODE_FLAGS). */
export function spawnDesk(stack: Stack, o: { args?: string[]; node?: string[]; stderr?: 'inherit' | 'pipe' } = {}) {
  return spawn(process.execPath, [...DESK_NODE_FLAGS, ...(o.node ?? []), 'bin/coalition.js', 'start', ...(o.args ?? [])], {
    cwd: ROOT,
    env: { ...process.env, ...stack.env },
    stdio: ['ignore', 'ignore', o.stderr ?? 'inherit'],
  });
}

export interface BacklogResult {
  n: number;
  seconds: number;
  perSecond: number;
  mailsSent: number;
  ceiling: { readSeconds: number; sendSeconds: number; seconds: number; perSecond: number };
  fractionOfCeiling: number;
  peakRssMiB: number;
  msPerRequest: number;
}

const ORGS = ['Qendra Rinore', 'Shoqata Mjedisore', 'Fondacioni Qytetar', 'Instituti i Politikave', 'Rrjeti i Grave', 'Lëvizja'];
const CITIES = ['Tiranë', 'Durrës', 'Shkodër', 'Korçë', 'Vlorë', 'Elbasan', 'Fier', 'Berat'];

export function joinRequest(i: number, tag: string): { raw: string; from: string } {
  const from = `kontakt@org-${tag}-${i}.example.net`;
  const org = `${ORGS[i % ORGS.length]} ${tag.toUpperCase()}${i}`;
  const city = CITIES[i % CITIES.length] as string;
  const raw = [
    `From: Arta Demi <${from}>`,
    `To: ${INFO}`,
    'Subject: =?UTF-8?B?' + Buffer.from('Kërkesë për anëtarësim').toString('base64') + '?=',
    `Message-ID: <bench-${tag}-${i}-${process.pid}@org-${tag}-${i}.example.net>`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Përshëndetje,',
    '',
    `${org} nga ${city} dëshiron të anëtarësohet në Koalicion dhe të nënshkruajë Deklaratën e Përbashkët.`,
    '',
    'Me respekt,',
    'Arta Demi',
    org,
    city,
    '',
  ].join('\r\n');
  return { raw, from };
}

/** A join request carrying a scanned statute of `mb` MB (an attachment, base64), as organisations send. */
export function bigJoinRequest(i: number, mb: number): { raw: string; from: string } {
  const { raw, from } = joinRequest(i, 'big');
  const cut = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, cut);
  const body = raw.slice(cut + 4);
  const line = Buffer.alloc(57, i % 251).toString('base64');
  const lines = Math.ceil((mb * 1024 * 1024) / (line.length + 2));
  const b = `big${i}`;
  return {
    from,
    raw: [
      head.replace('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit', `Content-Type: multipart/mixed; boundary="${b}"`),
      '',
      `--${b}`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      body,
      `--${b}`,
      'Content-Type: application/octet-stream; name="statuti.bin"',
      'Content-Disposition: attachment; filename="statuti.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      Array.from({ length: lines }, () => line).join('\r\n'),
      `--${b}--`,
      '',
    ].join('\r\n'),
  };
}

function imap(stack: Stack, user: string): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port: stack.dovecot.imapPort,
    secure: false,
    auth: { user, pass: SANDBOX_PASSWORD },
    logger: false,
  });
}

async function seed(stack: Stack, n: number, tag: string, big = 0): Promise<void> {
  const c = imap(stack, INFO);
  await c.connect();
  try {
    for (let i = 0; i < big; i++) await c.append('INBOX', bigJoinRequest(i, 20).raw);
    for (let i = 0; i < n; i++) await c.append('INBOX', joinRequest(i, tag).raw);
  } finally {
    await c.logout();
  }
}

/** The bare libraries: fetch every message of INBOX and parse it. */
async function ceilingRead(stack: Stack): Promise<{ seconds: number; count: number }> {
  const t0 = performance.now();
  const c = imap(stack, INFO);
  await c.connect();
  let count = 0;
  try {
    const lock = await c.getMailboxLock('INBOX');
    try {
      for await (const m of c.fetch('1:*', { uid: true, source: true })) {
        if (m.source) await simpleParser(m.source);
        count++;
      }
    } finally {
      lock.release();
    }
  } finally {
    await c.logout();
  }
  return { seconds: (performance.now() - t0) / 1000, count };
}

/**
 * nodemailer alone: as many mails as the desk sent, each of the desk's mail's size, to as many recipients of
 * the same kinds (a fresh mailbox for each organisation, the same coordinators), through the same capture
 * with the same number of SMTP connections. Dovecot makes a mailbox on first delivery, and that costs: a
 * ceiling that wrote to a few mailboxes only would be a different job.
 */
async function ceilingSend(stack: Stack, desk: readonly { to: string[]; raw: Buffer }[], connections: number): Promise<number> {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: stack.smtp.port, secure: false, ignoreTLS: true, pool: true, maxConnections: connections });
  const coordinators = new Set((stack.env.COORDINATORS ?? '').split(',').map((a) => a.trim().toLowerCase()));
  const t0 = performance.now();
  try {
    await Promise.all(
      desk.map((m, i) =>
        t.sendMail({
          from: INFO,
          to: m.to.map((a, j) => (coordinators.has(a) ? a : `c${i}-${j}@ceiling-${i}.example.net`)),
          subject: `ceiling ${i}`,
          text: 'x'.repeat(Math.max(100, m.raw.length - 400)).replace(/(.{76})/g, '$1\r\n'),
        }),
      ),
    );
  } finally {
    t.close();
  }
  return (performance.now() - t0) / 1000;
}

function peakRssMiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export async function backlog(
  n: number,
  o: { profileDir?: string; env?: Record<string, string>; trace?: boolean; big?: number } = {},
): Promise<BacklogResult> {
  const stack = await benchStack(o.env);
  try {
    const big = o.big ?? 0;
    await seed(stack, n, 'b', big);
    const read = await ceilingRead(stack);
    if (read.count !== n + big) throw new Error(`seeded ${n + big}, found ${read.count}`);

    const t0 = performance.now();
    const child = spawnDesk(stack, {
      node: o.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.profileDir}`] : [],
      args: process.env.BENCH_ONLY ? ['--only', process.env.BENCH_ONLY] : [],
      stderr: 'pipe',
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const acked = (): number => {
      let k = 0;
      for (const m of stack.smtp.messages) if (m.to.some((a) => a.startsWith('kontakt@org-b-'))) k++;
      return k;
    };
    let peak = 0;
    let dead = false;
    const trace = o.trace
      ? setInterval(() => {
          void (async () => {
            const c = imap(stack, INFO);
            await c.connect();
            const st = await c.status('INBOX', { messages: true });
            await c.logout();
            console.log(`  t=${((performance.now() - t0) / 1000).toFixed(1)}s inbox=${st ? st.messages : "?"} acks=${acked()} mails=${stack.smtp.messages.length}`);
          })().catch(() => undefined);
        }, 2000)
      : null;
    void exited.then(() => (dead = true));
    const bigAcked = (): number => stack.smtp.messages.filter((m) => m.to.some((a) => a.startsWith('kontakt@org-big-'))).length;
    while (acked() < n || bigAcked() < big) {
      if (dead) throw new Error(`the desk exited before catching up (${acked()}/${n}): ${stderr}`);
      if (performance.now() - t0 > 900_000) throw new Error(`timed out at ${acked()}/${n}`);
      peak = Math.max(peak, peakRssMiB(child.pid!) || 0);
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (performance.now() - t0) / 1000;
    if (trace) clearInterval(trace);
    peak = Math.max(peak, peakRssMiB(child.pid!) || 0);
    // Let the approval requests that were queued with the last acknowledgements go out, then count.
    let last = -1;
    while (stack.smtp.messages.length !== last) {
      last = stack.smtp.messages.length;
      await new Promise((r) => setTimeout(r, 1000));
    }
    peak = Math.max(peak, peakRssMiB(child.pid!) || 0);
    const mailsSent = stack.smtp.messages.length;
    const desk = stack.smtp.messages.splice(0).map((m) => ({ to: m.to, raw: m.raw }));
    child.kill('SIGTERM');
    await exited;
    // On a world of its own, as fresh as the desk's was: mailboxes that already hold the desk's mail
    // would make the same deliveries slower.
    const fresh = await startStack({ dovecot: { anyUserPassword: SANDBOX_PASSWORD } });
    let sendSeconds: number;
    try {
      sendSeconds = await ceilingSend(fresh, desk, Number(stack.env.SMTP_MAX_CONNECTIONS ?? 3));
    } finally {
      await fresh.stop();
    }
    const ceilingSeconds = read.seconds + sendSeconds;
    return {
      n,
      seconds,
      perSecond: n / seconds,
      mailsSent,
      ceiling: { readSeconds: read.seconds, sendSeconds, seconds: ceilingSeconds, perSecond: n / ceilingSeconds },
      fractionOfCeiling: ceilingSeconds / seconds,
      peakRssMiB: peak,
      msPerRequest: (seconds * 1000) / n,
    };
  } finally {
    await stack.stop();
  }
}

export interface StageResult {
  n: number;
  watcherSeconds: number;
  processorSeconds: number;
  mailerSeconds: number;
}

/**
 * Each worker alone on the whole backlog, one after the other (`coalition start --only …`): the watcher files
 * N messages, then the processor reads the N jobs, then the mailer sends what they queued. Says which stage
 * bounds the pipeline.
 */
export async function stages(n: number, env: Record<string, string> = {}): Promise<StageResult> {
  const stack = await benchStack(env);
  const queue = (name: string) => new Queue(name, { connection: stack.redis, prefix: `${stack.prefix}:bull` });
  const inbound = queue(QUEUES.inbound);
  const outbound = queue(QUEUES.outbound);
  const run = async (only: string, done: () => Promise<boolean>): Promise<number> => {
    const t0 = performance.now();
    const prof = process.env.BENCH_PROFILE_STAGE === only ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR ?? '.'}`] : [];
    const child = spawnDesk(stack, { node: prof, args: ['--only', only] });
    while (!(await done())) await new Promise((r) => setTimeout(r, 50));
    const s = (performance.now() - t0) / 1000;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    return s;
  };
  try {
    await seed(stack, n, 'b');
    const watcherSeconds = await run('watcher', async () => ((await inbound.getJobCounts('wait')).wait ?? 0) >= n);
    const processorSeconds = await run('processor', async () => {
      const c = await inbound.getJobCounts('wait', 'active', 'completed');
      return (c.wait ?? 0) + (c.active ?? 0) === 0 && (c.completed ?? 0) >= n;
    });
    const mails = (await outbound.getJobCounts('wait')).wait ?? 0;
    const mailerSeconds = await run('mailer', async () => stack.smtp.messages.length >= mails);
    return { n, watcherSeconds, processorSeconds, mailerSeconds };
  } finally {
    await inbound.close();
    await outbound.close();
    await stack.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv.includes('--stages')) {
  const ns = process.argv.slice(2).filter((a) => /^\d+$/.test(a)).map(Number);
  for (const n of ns.length ? ns : [1000]) {
    const r = await stages(n);
    console.log(
      `stages N=${n}: watcher ${r.watcherSeconds.toFixed(1)} s (${(n / r.watcherSeconds).toFixed(0)}/s), ` +
        `processor ${r.processorSeconds.toFixed(1)} s (${(n / r.processorSeconds).toFixed(0)}/s), ` +
        `mailer ${r.mailerSeconds.toFixed(1)} s (${(n / r.mailerSeconds).toFixed(0)} requests/s)`,
    );
  }
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv.splice(i, 2)[1] : undefined;
  };
  const json = flag('--json');
  const profileDir = flag('--profile');
  const trace = argv.includes('--trace') ? (argv.splice(argv.indexOf('--trace'), 1), true) : false;
  const big = Number(flag('--big') ?? 0);
  const ns = argv.length ? argv.map(Number) : [1000];
  const results: BacklogResult[] = [];
  for (const n of ns) {
    const r = await backlog(n, { ...(profileDir ? { profileDir } : {}), trace, big });
    results.push(r);
    console.log(
      `backlog N=${n}: ${r.seconds.toFixed(1)} s (${r.perSecond.toFixed(1)} req/s, ${r.msPerRequest.toFixed(1)} ms/req), ` +
        `${r.mailsSent} mails; ceiling ${r.ceiling.seconds.toFixed(1)} s (read ${r.ceiling.readSeconds.toFixed(1)} + send ${r.ceiling.sendSeconds.toFixed(1)}), ` +
        `${(r.fractionOfCeiling * 100).toFixed(0)}% of it; peak RSS ${r.peakRssMiB.toFixed(0)} MiB`,
    );
  }
  if (json) writeFileSync(json, JSON.stringify(results, null, 2) + '\n');
}
