import { generateKeyPairSync } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import { loadConfig } from '../../../config/load.ts';
import type { Config } from '../../../config/schema.ts';
import { messageKey } from '../../../src/adapters/imap/message-key.ts';
import { silentLogger, type Logger } from '../../../src/adapters/log.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { QUEUES } from '../../../src/contracts/queues.ts';
import { createTriage } from '../../../workers/ports.ts';
import { startMailer, type Mailer } from '../../../workers/mailer.ts';
import { startProcessor, type RunningProcessor } from '../../../workers/processor.ts';
import { startWatcher, type RunningWatcher } from '../../../workers/watcher.ts';
import { deliver, listMessages, type StoredMessage } from '../../harness/mailbox.ts';
import { CSO, INFO, startStack, type Stack } from '../../harness/stack.ts';

/**
 * The whole desk (watcher, processor, mailer) in this process against the
 * harness stack, plus the people around it: the CSO writing in, and the
 * coordinators replying from their mail client (DKIM-signed by their domain).
 */

export const COORD_DOMAIN = 'coord.example.org';

/** A DKIM key for the coordinators' domain and a resolver that serves it (nothing else resolves). */
export function dkimWorld() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const pub = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { privPem, pub, resolver: resolverFor(pub) };
}

/** A DNS resolver that knows only the coordinators' DKIM key. */
export function resolverFor(pub: string) {
  const records: Record<string, string[][]> = { [`sel._domainkey.${COORD_DOMAIN}`]: [[`v=DKIM1; k=rsa; p=${pub}`]] };
  const resolver = async (name: string, rrtype: string): Promise<string[][]> => {
    const r = rrtype === 'TXT' ? records[name.toLowerCase()] : undefined;
    if (r) return r;
    throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  };
  return resolver;
}

export const DKIM = dkimWorld();

export interface Desk {
  stack: Stack;
  config: Config;
  redis: Redis;
  processor: RunningProcessor;
  stopWorkers(): Promise<void>;
  startWorkers(): Promise<void>;
  close(): Promise<void>;
}

export async function startDesk(
  env: Record<string, string> = {},
  o: { logger?: Logger; workers?: boolean } = {},
): Promise<Desk> {
  const stack = await startStack({
    env: {
      UNDO_WINDOW: '0',
      REMINDER_AFTER: '3d',
      REQUEST_TTL: '30d',
      IMAP_POLL_INTERVAL: '1s',
      SMTP_RETRY_DELAY: '200ms',
      ...env,
    },
  });
  const config = loadConfig(stack.env, '/nonexistent/.env');
  const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: null });
  const logger = o.logger ?? silentLogger;
  let watcher: RunningWatcher | null = null;
  let mailer: Mailer | null = null;
  let processor: RunningProcessor | null = null;
  const desk: Desk = {
    stack,
    config,
    redis,
    get processor() {
      if (!processor) throw new Error('processor not running');
      return processor;
    },
    async startWorkers() {
      processor = await startProcessor({
        config,
        redis,
        logger,
        resolver: DKIM.resolver,
        tuning: { lockDuration: 3000, stalledInterval: 1000 },
      });
      mailer = startMailer({ config, redis, logger, worker: { lockDuration: 3000, stalledInterval: 1000 } });
      watcher = await startWatcher({
        config,
        redis,
        logger,
        triage: createTriage(config),
        tuning: { lockTtlMs: 2000, lockRetryMs: 200 },
      });
    },
    async stopWorkers() {
      await watcher?.close();
      await processor?.close();
      await mailer?.close();
      watcher = mailer = processor = null;
    },
    async close() {
      await desk.stopWorkers().catch(() => undefined);
      await redis.quit().catch(() => undefined);
      await stack.stop();
    },
  };
  if (o.workers !== false) await desk.startWorkers();
  return desk;
}

let n = 0;
/** Raw mail as a mail client would send it (DKIM-signed when `dkimDomain` is given). */
export async function compose(o: {
  from: string;
  to?: string;
  subject: string;
  text: string;
  inReplyTo?: string;
  references?: string[];
  messageId?: string;
  dkimDomain?: string;
  headers?: Record<string, string>;
}): Promise<Buffer> {
  n += 1;
  const tx = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
    ...(o.dkimDomain ? { dkim: { domainName: o.dkimDomain, keySelector: 'sel', privateKey: DKIM.privPem } } : {}),
  });
  const { message } = await tx.sendMail({
    from: o.from,
    to: o.to ?? INFO,
    subject: o.subject,
    text: o.text,
    messageId:
      o.messageId ??
      `<t${Date.now()}.${n}.${Math.random().toString(36).slice(2)}@${o.from.replace(/.*@/, '').replace(/>.*/, '')}>`,
    ...(o.inReplyTo ? { inReplyTo: o.inReplyTo } : {}),
    ...(o.references ? { references: o.references } : {}),
    ...(o.headers ? { headers: o.headers } : {}),
  });
  return message as Buffer;
}

export const JOIN_SQ = {
  subject: 'Kërkesë për anëtarësim në Koalicion',
  text: [
    'Përshëndetje,',
    '',
    'Organizata jonë, Qendra për Transparencë Qytetare (QTQ), me seli në Shkodër, dëshiron t’i bashkohet Koalicionit të OShC-ve për OGP dhe të nënshkruajë Deklaratën e Përbashkët.',
    '',
    'Me respekt,',
    'Arta Hoxha',
    'Drejtore Ekzekutive',
    'Qendra për Transparencë Qytetare',
    'contact@cso.example.net',
  ].join('\n'),
};

/** A join request from another organisation (its own domain, so it is no duplicate of the others). */
export function joinFrom(
  org: { name: string; acronym: string; city: string; person: string; address: string },
  lang: 'sq' | 'en' = 'en',
) {
  const text =
    lang === 'en'
      ? `Dear Coalition,\n\nOur organisation, ${org.name} (${org.acronym}), based in ${org.city}, would like to join the Coalition and sign the Joint Statement.\n\nBest regards,\n${org.person}\n${org.name}\n${org.address}`
      : `Përshëndetje,\n\nOrganizata jonë, ${org.name} (${org.acronym}), me seli në ${org.city}, dëshiron t’i bashkohet Koalicionit dhe të nënshkruajë Deklaratën e Përbashkët.\n\nMe respekt,\n${org.person}\n${org.name}\n${org.address}`;
  return {
    from: `${org.person} <${org.address}>`,
    subject: lang === 'en' ? 'Request to join the Coalition' : 'Kërkesë për anëtarësim',
    text,
  };
}

export async function sendJoinRequest(
  stack: Stack,
  o: { from?: string; subject?: string; text?: string } = {},
): Promise<string> {
  const messageId = `<join.${Date.now()}.${Math.random().toString(36).slice(2)}@cso.example.net>`;
  const raw = await compose({
    from: o.from ?? `Arta Hoxha <${CSO}>`,
    subject: o.subject ?? JOIN_SQ.subject,
    text: o.text ?? JOIN_SQ.text,
    messageId,
  });
  await deliver(stack.dovecot, INFO, raw);
  return messageId;
}

/** The coordinator answers a mail she received (threaded, quoting it), DKIM-signed by her domain unless told otherwise. */
export async function replyTo(
  stack: Stack,
  received: StoredMessage,
  o: { from: string; text: string; dkim?: boolean; dkimDomain?: string; inReplyTo?: string; subject?: string },
): Promise<Buffer> {
  const refs = referencesOf(received);
  const raw = await compose({
    from: o.from,
    subject: o.subject ?? `Re: ${received.subject}`,
    text: `${o.text}\n\nOn Mon, 30 Nov 2026 at 10:00, Koalicioni <${INFO}> wrote:\n> ${received.subject}\n> ...`,
    inReplyTo: o.inReplyTo ?? received.messageId,
    references: [...refs, o.inReplyTo ?? received.messageId],
    ...(o.dkim === false ? {} : { dkimDomain: o.dkimDomain ?? COORD_DOMAIN }),
  });
  await deliver(stack.dovecot, INFO, raw);
  return raw;
}

function referencesOf(m: StoredMessage): string[] {
  const head = m.source.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
  const refs = /^References:\s*((?:.+)(?:\r?\n[ \t].+)*)/im.exec(head)?.[1] ?? '';
  return refs.match(/<[^>]+>/g) ?? [];
}

/**
 * A mailbox's messages. A mailbox that does not exist yet holds none: the capture creates users on first
 * delivery, and Dovecot refuses the login of one it has not read from its passwd-file yet. Any other
 * failure to read it (the server down, a folder that cannot be opened) is an error, never "nothing arrived".
 */
export async function inbox(
  stack: Stack,
  address: string,
  match?: (m: StoredMessage) => boolean,
): Promise<StoredMessage[]> {
  if (!stack.dovecot.hasUser(address)) return [];
  let all: StoredMessage[];
  try {
    all = await listMessages(stack.dovecot, address);
  } catch (err) {
    if ((err as { authenticationFailed?: boolean }).authenticationFailed) return [];
    throw err;
  }
  return match ? all.filter(match) : all;
}

/** The Message-ID of a raw message (as compose() wrote it). */
export function messageIdOf(raw: Buffer | string): string {
  const head = raw.toString().split(/\r?\n\r?\n/)[0] ?? '';
  const id = /^Message-ID:\s*(<[^>]+>)/im.exec(head)?.[1];
  if (!id) throw new Error('the message has no Message-ID');
  return id;
}

async function withQueue<T>(stack: Stack, name: string, fn: (q: Queue) => Promise<T>): Promise<T> {
  const conn = stack.redis.duplicate();
  const q = new Queue(name, { connection: conn, prefix: keyspace(stack.prefix).bull });
  try {
    return await fn(q);
  } finally {
    await q.close();
    await conn.quit().catch(() => undefined);
  }
}

/**
 * Evidence that the desk handled a received message, before asserting that it changed nothing: the
 * watcher left it (its seen record, no job), or the processor finished its job. Returns the outcome
 * ('automatic', 'left', 'decision'…) or 'left by the watcher'.
 */
export async function handled(stack: Stack, messageId: string, timeoutMs = 30_000): Promise<string> {
  const key = messageKey(messageId, Buffer.alloc(0));
  const t0 = Date.now();
  return withQueue(stack, QUEUES.inbound, async (q) => {
    for (;;) {
      const seen = await stack.redis.get(keyspace(stack.prefix).op('ingest', 'seen', key));
      if (seen && !(JSON.parse(seen) as { queued: boolean }).queued) return 'left by the watcher';
      const job = seen ? await q.getJob(key) : undefined;
      if (job && (await job.isCompleted())) return String(job.returnvalue);
      if (Date.now() - t0 > timeoutMs) throw new Error(`the desk did not handle ${messageId} in ${timeoutMs} ms`);
      await sleep(100);
    }
  });
}

/**
 * Evidence that whatever the desk was going to send has been sent: no received message, timer or mail
 * waiting or running (a job of a killed worker stays active until it is handed out again).
 */
export async function settled(stack: Stack, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  const busy = (q: Queue) => q.getJobCounts('wait', 'active', 'prioritized', 'waiting-children');
  for (;;) {
    let total = 0;
    for (const name of [QUEUES.inbound, QUEUES.timers, QUEUES.outbound]) {
      total += Object.values(await withQueue(stack, name, busy)).reduce((a, b) => a + b, 0);
    }
    // Retries of a mail count too: a delayed outbound job is a send still to come.
    total += await withQueue(stack, QUEUES.outbound, async (q) => q.getDelayedCount());
    if (total === 0) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`the desk still had ${total} job(s) to do after ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** Waits until a timer whose job id starts with `prefix` (`REQ-….finalize.`) has run; returns what it did. */
export async function timerRan(stack: Stack, prefix: string, timeoutMs = 30_000): Promise<string> {
  const t0 = Date.now();
  return withQueue(stack, QUEUES.timers, async (q) => {
    for (;;) {
      const done = (await q.getJobs(['completed'], 0, -1)).find((j) => String(j.id).startsWith(prefix));
      if (done) return String(done.returnvalue);
      if (Date.now() - t0 > timeoutMs) throw new Error(`no timer ${prefix}* ran in ${timeoutMs} ms`);
      await sleep(100);
    }
  });
}

export async function waitFor(
  stack: Stack,
  address: string,
  match: (m: StoredMessage) => boolean,
  count = 1,
  timeoutMs = 20_000,
) {
  const t0 = Date.now();
  for (;;) {
    const found = await inbox(stack, address, match);
    if (found.length >= count) return found;
    if (Date.now() - t0 > timeoutMs) {
      const all = await inbox(stack, address);
      throw new Error(
        `timed out: ${found.length}/${count} matching in ${address}; it holds: ${all.map((m) => m.subject).join(' | ')}`,
      );
    }
    await sleep(150);
  }
}

export const subjectHas = (s: string | RegExp) => (m: StoredMessage) =>
  typeof s === 'string' ? m.subject.includes(s) : s.test(m.subject);

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** The decoded text of a stored message (quoted-printable/base64 bodies as a reader sees them). */
export async function bodyOf(m: StoredMessage): Promise<string> {
  const { simpleParser } = await import('mailparser');
  const p = await simpleParser(m.source);
  return `${p.text ?? ''}`;
}
