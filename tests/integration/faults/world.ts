import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import type { Dovecot } from '../../../src/devstack/dovecot.ts';
import { recordPid } from '../../../src/devstack/pids.ts';
import { freePort } from '../../../src/devstack/ports.ts';
import { answers as redisAnswers } from '../../../src/devstack/redis.ts';

/**
 * The parts of a mail world the fault run breaks on purpose, each one its own:
 * a seeded random source, a redis-server with AOF that can be restarted, and a
 * small MTA that queues what the desk sends and delivers it into Dovecot over
 * LMTP, retrying while Dovecot is down (as Postfix would, instead of refusing
 * the desk), and that can be told to refuse for a while.
 */

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seeded(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(xs: readonly T[]): T; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)] as (typeof xs)[number],
    chance: (p) => next() < p,
  };
}

/** A throw-away redis-server with AOF (fsync always), restartable on the same port and data. */
export class AofRedis {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly killOnExit = (): void => void this.child?.kill('SIGKILL');

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<AofRedis> {
    const r = new AofRedis(await freePort(), mkdtempSync(join(tmpdir(), 'redis-aof-')));
    await r.run();
    return r;
  }

  private async run(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(this.port), '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction'],
      { stdio: 'ignore' },
    );
    this.child = child;
    recordPid(child.pid, `redis-server ${this.port} (aof)`);
    child.once('error', () => undefined);
    this.exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.once('exit', this.killOnExit);
    for (let i = 0; i < 100 && !(await redisAnswers(this.url, 500)); i++) await new Promise((r) => setTimeout(r, 50));
    if (!(await redisAnswers(this.url, 500))) throw new Error('redis-server did not start (apt-get install redis-server)');
  }

  /** Stops it (SIGTERM: it finishes the AOF write and exits) and starts it again on the same files. */
  async restart(downMs = 0): Promise<void> {
    await this.halt();
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.run();
  }

  private async halt(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
    process.removeListener('exit', this.killOnExit);
    this.child = null;
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface Queued {
  from: string;
  to: string[];
  raw: Buffer;
}

/**
 * The desk's outgoing SMTP server: 250 once the mail is queued in memory, then
 * LMTP delivery into Dovecot with retries. `refusing` makes it answer 451 at
 * RCPT TO (the desk must retry). Creates a mailbox for unknown recipients.
 */
export class QueueingMta {
  port = 0;
  refusing = false;
  accepted = 0;
  refusals = 0;
  private server: SMTPServer | null = null;
  private readonly queue: Queued[] = [];
  private running = true;
  private loops: Promise<void>[] = [];
  private readonly lmtp;

  constructor(private readonly dovecot: Dovecot) {
    this.lmtp = nodemailer.createTransport({ host: '127.0.0.1', port: dovecot.lmtpPort, lmtp: true, secure: false, ignoreTLS: true });
  }

  /** `concurrency`: LMTP deliveries at once (the load run's thousands of mails need more than one). */
  static async start(dovecot: Dovecot, concurrency = 1): Promise<QueueingMta> {
    const m = new QueueingMta(dovecot);
    const server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      onRcptTo: (address, _s, cb) => {
        if (m.refusing) {
          m.refusals += 1;
          cb(Object.assign(new Error('4.3.2 try again later (fault run)'), { responseCode: 451 }));
          return;
        }
        const rcpt = address.address.toLowerCase();
        if (!dovecot.hasUser(rcpt)) dovecot.addUser(rcpt, randomBytes(9).toString('base64url'));
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          m.queue.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            raw: Buffer.concat(chunks),
          });
          m.accepted += 1;
          cb(null, 'queued');
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    server.on('error', () => undefined);
    m.server = server;
    m.port = (server.server.address() as AddressInfo).port;
    m.loops = Array.from({ length: concurrency }, () => m.deliverLoop());
    return m;
  }

  get pending(): number {
    return this.queue.length + this.delivering;
  }

  private delivering = 0;

  /** Takes the oldest queued mail, delivers it, and puts it back at the end while a recipient is left. */
  private async deliverLoop(): Promise<void> {
    while (this.running) {
      const next = this.queue.shift();
      if (!next) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      this.delivering += 1;
      try {
        const info = await this.lmtp.sendMail({ envelope: { from: next.from, to: next.to }, raw: next.raw });
        // A recipient Dovecot does not know yet (its passwd-file is re-read within a second) is tried again.
        next.to = info.rejected.map(String);
        if (next.to.length) {
          this.queue.push(next);
          await new Promise((r) => setTimeout(r, 200));
        }
      } catch {
        this.queue.push(next); // Dovecot down: keep it queued
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        this.delivering -= 1;
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    this.lmtp.close();
  }
}
