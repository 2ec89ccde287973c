import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Command } from 'commander';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { loadConfig } from '../../../config/load.ts';
import type { Config } from '../../../config/schema.ts';
import { createRedis } from '../../adapters/redis/connection.ts';
import { messageKey } from '../../adapters/imap/message-key.ts';
import { keyspace } from '../../adapters/redis/keys.ts';
import { RequestStore } from '../../adapters/redis/request-store.ts';
import { QUEUES } from '../../contracts/queues.ts';
import type { RequestRecord } from '../../domain/request.ts';
import { REQUEST_ID_RE } from '../../domain/token.ts';
import { findSandbox, type SandboxState } from '../../devstack/state.ts';
import { CliError, printText } from '../io.ts';
import { parseOnly, runDesk } from './start.ts';

/**
 * `coalition sandbox` runs the desk against the local sandbox, whatever is
 * configured; `coalition sandbox send` and `coalition sandbox reply` play the
 * two sides of the story from the terminal against the sandbox running in this
 * directory: an organisation writing to info@, and a coordinator (or the
 * organisation) answering the desk's last mail about a request, as a mail
 * client would (In-Reply-To the desk's Message-ID, which carries the token).
 */

function running(): { state: SandboxState; config: Config } {
  const found = findSandbox();
  if (!found) throw new CliError('no sandbox is running in this directory: start one with `npm start` (or `coalition sandbox`)');
  return { state: found.state, config: loadConfig(found.state.env, null) };
}

function smtp(state: SandboxState) {
  return nodemailer.createTransport({ host: '127.0.0.1', port: state.smtpPort, secure: false, ignoreTLS: true });
}

function capitalised(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** A join request as an organisation would write it, named after the sender's address unless --org names it. */
export function sampleRequest(from: string, lang: 'sq' | 'en', org?: string): { subject: string; text: string } {
  const local = (from.split('@')[0] ?? 'drita').replace(/[^\p{L}\p{N}]+/gu, ' ').trim() || 'Drita';
  const person = local.split(' ').map(capitalised).join(' ');
  if (lang === 'en') {
    const name = org ?? `${person} Civic Association`;
    return {
      subject: 'Request to join the coalition',
      text: `Dear coordinators,\n\nOn behalf of ${name}, a civil society organisation based in Durrës, we would like to join the Coalition and sign the joint statement.\n\nKind regards,\n${person}\n${name}\nDurrës\n`,
    };
  }
  const name = org ?? `Shoqata ${person}`;
  return {
    subject: 'Kërkesë për anëtarësim',
    text: `Përshëndetje,\n\nNë emër të organizatës ${name} nga Elbasani, dëshirojmë të anëtarësohemi në Koalicion dhe të nënshkruajmë Deklaratën e Përbashkët.\n\nMe respekt,\n${person}\n${name}\nElbasan\n`,
  };
}

function oneLine(r: RequestRecord): string {
  const org = r.organization.name ?? r.organization.acronym ?? '(no name)';
  return `${r.id}  ${r.status}  ${r.kind}  ${org} <${r.replyAddress || 'no address'}>`;
}

async function withStore<T>(config: Config, fn: (store: RequestStore) => Promise<T>): Promise<T> {
  const redis = createRedis(config.REDIS_URL, 'coalition-sandbox-cli');
  redis.on('error', () => undefined);
  const store = new RequestStore(redis, keyspace(config.REDIS_PREFIX));
  try {
    return await fn(store);
  } finally {
    await store.close();
    redis.disconnect();
  }
}

async function poll<T>(fn: () => Promise<T | null>, timeoutMs: number): Promise<T | null> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== null) return v;
    if (Date.now() - t0 > timeoutMs) return null;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function localMessageId(domain: string): string {
  return `<sandbox.${Date.now().toString(36)}.${randomBytes(6).toString('hex')}@${domain}>`;
}

async function send(
  textOrFile: string | undefined,
  o: { from: string; lang: string; org?: string; subject?: string; wait: boolean; timeout: string },
): Promise<void> {
  if (o.lang !== 'sq' && o.lang !== 'en') throw new CliError(`--lang must be sq or en, not "${o.lang}"`, 2);
  const { state, config } = running();
  const domain = o.from.split('@')[1] ?? 'example.net';
  let messageId: string;
  const tx = smtp(state);
  try {
    if (textOrFile?.endsWith('.eml') && existsSync(textOrFile)) {
      const raw = readFileSync(textOrFile);
      const head = raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
      messageId = /^message-id:\s*(<[^>]+>)/im.exec(head)?.[1] ?? '';
      await tx.sendMail({ envelope: { from: o.from, to: [config.COALITION_ADDRESS] }, raw });
    } else {
      const sample = sampleRequest(o.from, o.lang, o.org);
      messageId = localMessageId(domain);
      await tx.sendMail({
        from: o.from,
        to: config.COALITION_ADDRESS,
        subject: o.subject ?? sample.subject,
        text: textOrFile ?? sample.text,
        messageId,
      });
    }
  } finally {
    tx.close();
  }
  printText(`sent to ${config.COALITION_ADDRESS} from ${o.from}${messageId ? ` (Message-ID ${messageId})` : ''}\n`);
  if (!o.wait || !messageId) return;
  const handled = await withStore(config, async (store) => {
    // The watcher queues one job per message, its id the hash of the Message-ID; the processor's outcome is its return value.
    const conn = createRedis(config.REDIS_URL, 'coalition-sandbox-cli');
    conn.on('error', () => undefined);
    const queue = new Queue(QUEUES.inbound, { connection: conn, prefix: keyspace(config.REDIS_PREFIX).bull });
    queue.on('error', () => undefined);
    try {
      return await poll(async () => {
        const job = await queue.getJob(messageKey(messageId, Buffer.alloc(0)));
        if (!job?.finishedOn) return null;
        const id = await store.idForMessage(messageId);
        return { outcome: String(job.returnvalue ?? job.failedReason ?? 'failed'), request: id ? await store.get(id) : null };
      }, Number(o.timeout) * 1000);
    } finally {
      await queue.close();
      conn.disconnect();
    }
  });
  if (!handled) {
    process.stdout.write(`the desk has not handled it within ${o.timeout} s: see \`coalition requests\` and the coordinators' mailboxes\n`);
    return;
  }
  const request = handled.request;
  if (!request) {
    process.stdout.write(`handled: ${handled.outcome.replace(/_/g, ' ')} (no new request); the answer is in ${o.from}'s mailbox\n`);
    return;
  }
  printText(`${oneLine(request)}\n`);
  if (request.status === 'unclear') {
    process.stdout.write(
      `a possible request: the coordinators were asked; open it with: coalition sandbox reply ${request.id} PO   (or close it: JO)\n`,
    );
  } else {
    process.stdout.write(
      `acknowledged to ${request.replyAddress}; the coordinators were asked. Decide with: coalition sandbox reply ${request.id} PO   (or JO: reason)\n`,
    );
  }
}

interface Found {
  uid: number;
  subject: string;
  messageId: string;
}

/** The desk's newest mail about `id` in `address`'s INBOX: the one a person would answer. */
async function lastMailAbout(state: SandboxState, config: Config, address: string, id: string): Promise<Found | null> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: state.imapPort,
    secure: false,
    doSTARTTLS: false,
    logger: false,
    auth: { user: address, pass: state.password },
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      let best: Found | null = null;
      const tag = `[${id}]`.toLowerCase();
      for await (const m of client.fetch('1:*', { uid: true, envelope: true })) {
        const subject = m.envelope?.subject ?? '';
        const from = m.envelope?.from?.[0]?.address?.toLowerCase() ?? '';
        const messageId = m.envelope?.messageId ?? '';
        if (from === config.COALITION_ADDRESS.toLowerCase() && subject.toLowerCase().includes(tag) && messageId) {
          if (!best || m.uid > best.uid) best = { uid: m.uid, subject, messageId };
        }
      }
      return best;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
}

async function reply(idArg: string, words: string[], o: { as?: string; wait: boolean; timeout: string }): Promise<void> {
  const id = idArg.trim().toUpperCase();
  if (!REQUEST_ID_RE.test(id)) throw new CliError(`"${idArg}" is not a request reference like REQ-7F3K2`, 2);
  const text = words.join(' ').trim();
  if (!text) throw new CliError('say what to answer, e.g. PO, JO: reason, PYET: question, ANULO', 2);
  const { state, config } = running();
  const as = (o.as ?? config.COORDINATORS[0] ?? '').toLowerCase();
  const mail = await lastMailAbout(state, config, as, id);
  if (!mail) throw new CliError(`${as} has no mail from the desk about ${id} to answer`);
  const messageId = localMessageId(as.split('@')[1] ?? 'example.org');
  const tx = smtp(state);
  try {
    await tx.sendMail({
      from: as,
      to: config.COALITION_ADDRESS,
      subject: /^re:/i.test(mail.subject) ? mail.subject : `Re: ${mail.subject}`,
      inReplyTo: mail.messageId,
      references: [mail.messageId],
      messageId,
      text: `${text}\n\n> (the desk's mail ${mail.messageId})\n`,
    });
  } finally {
    tx.close();
  }
  printText(`${as} answered "${mail.subject}" with: ${text}\n`);
  if (!o.wait) return;
  const done = await withStore(config, (store) =>
    poll(async () => {
      const r = await store.get(id);
      return r && r.audit.some((a) => a.via === messageId) ? r : null;
    }, Number(o.timeout) * 1000),
  );
  if (!done) {
    process.stdout.write(`the desk has not recorded this reply within ${o.timeout} s: see \`coalition request ${id}\`\n`);
    return;
  }
  printText(`${oneLine(done)}\n`);
  for (const a of done.audit.filter((e) => e.via === messageId)) {
    printText(`  ${a.event}${a.by ? ` by ${a.by}` : ''}${a.detail ? ` — ${a.detail}` : ''}\n`);
  }
  if (done.status === 'decided_pending_undo' && done.decision) {
    process.stdout.write(
      `takes effect at ${done.decision.effectiveAt} unless someone answers ANULO: coalition sandbox reply ${id} ANULO\n`,
    );
  }
}

export function registerSandbox(program: Command): void {
  const sandbox = program
    .command('sandbox')
    .description('the local sandbox: run the desk against a throw-away mail world, and play both sides of the story');

  sandbox
    .command('start', { isDefault: true })
    .description('run the desk against the sandbox (even when a mailbox is configured); Ctrl-C removes everything')
    .option('--only <workers>', 'comma-separated subset of watcher,processor,mailer')
    .addHelpText('after', '\nExample:\n  coalition sandbox')
    .action(async (o: { only?: string }) => runDesk({ only: parseOnly(o.only), forceSandbox: true }));

  sandbox
    .command('send')
    .description("write to the desk as an organisation would (a sample join request, your TEXT, or a FILE.eml) and wait for its request")
    .argument('[text-or-file]', 'the body of the mail, or a .eml file sent as it is')
    .requiredOption('--from <address>', "the sender's address (any address: its mailbox is made on delivery)")
    .option('--lang <lang>', 'sq or en, for the sample request', 'sq')
    .option('--org <name>', 'the organisation named in the sample request')
    .option('--subject <subject>', 'the subject (default: that of the sample request)')
    .option('--no-wait', 'do not wait for the desk to make a request of it')
    .option('--timeout <seconds>', 'how long to wait', '30')
    .addHelpText(
      'after',
      '\nExamples:\n  coalition sandbox send --from drita@shoqata.example.net\n  coalition sandbox send --from ana@ngo.example.org --lang en --org "Open Data Albania"\n  coalition sandbox send --from x@example.net mail.eml',
    )
    .action(async (t: string | undefined, o: { from: string; lang: string; org?: string; subject?: string; wait: boolean; timeout: string }) =>
      send(t, o),
    );

  sandbox
    .command('reply')
    .description("answer the desk's last mail about a request, as a coordinator (default: the first) or anyone with --as")
    .argument('<id>', 'request reference, e.g. REQ-7F3K2')
    .argument('<words...>', 'what to answer: PO, JO, JO: reason, PYET: question, ANULO, Emri: …')
    .option('--as <address>', 'who answers (default: the first of COORDINATORS)')
    .option('--no-wait', 'do not wait for the desk to record the reply')
    .option('--timeout <seconds>', 'how long to wait', '30')
    .addHelpText(
      'after',
      '\nExamples:\n  coalition sandbox reply REQ-7F3K2 PO\n  coalition sandbox reply REQ-7F3K2 JO: not a civil society organisation --as besa@example.org\n  coalition sandbox reply REQ-7F3K2 ANULO',
    )
    .action(async (id: string, words: string[], o: { as?: string; wait: boolean; timeout: string }) => reply(id, words, o));
}
