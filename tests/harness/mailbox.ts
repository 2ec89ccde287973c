import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { MASTER, type Dovecot } from '../../src/devstack/dovecot.ts';

/** Reads and writes any user's mailbox as Dovecot's master user (tests only). */
export function imapAs(dovecot: Dovecot, address: string): ImapFlow {
  const c = new ImapFlow({
    host: '127.0.0.1',
    port: dovecot.imapPort,
    secure: false,
    doSTARTTLS: false,
    logger: false,
    auth: { user: `${address}*${MASTER.user}`, pass: MASTER.pass },
  });
  c.on('error', () => undefined);
  return c;
}

export interface StoredMessage {
  uid: number;
  source: Buffer;
  subject: string;
  from: string;
  messageId: string;
  text: string;
}

/** Every message in one folder of a user's mailbox (an empty list when the folder does not exist). */
export async function listMessages(dovecot: Dovecot, address: string, folder = 'INBOX'): Promise<StoredMessage[]> {
  const c = imapAs(dovecot, address);
  await c.connect();
  try {
    const exists = (await c.list()).some((m) => m.path === folder);
    if (!exists) return [];
    const lock = await c.getMailboxLock(folder);
    try {
      const out: StoredMessage[] = [];
      for await (const m of c.fetch('1:*', { uid: true, source: true, envelope: true })) {
        if (!m.source) continue;
        const source = m.source;
        const raw = source.toString('utf8');
        const bodyStart = raw.indexOf('\r\n\r\n');
        out.push({
          uid: m.uid,
          source,
          subject: m.envelope?.subject ?? '',
          from: m.envelope?.from?.[0]?.address ?? '',
          messageId: m.envelope?.messageId ?? '',
          text: bodyStart >= 0 ? raw.slice(bodyStart + 4) : raw,
        });
      }
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await c.logout().catch(() => undefined);
  }
}

/** Waits until a folder holds at least `count` messages matching `match`; returns them. */
export async function waitForMessages(
  dovecot: Dovecot,
  address: string,
  opts: { count?: number; folder?: string; timeoutMs?: number; match?: (m: StoredMessage) => boolean } = {},
): Promise<StoredMessage[]> {
  const { count = 1, folder = 'INBOX', timeoutMs = 15_000, match = () => true } = opts;
  const t0 = Date.now();
  for (;;) {
    const found = (await listMessages(dovecot, address, folder)).filter(match);
    if (found.length >= count) return found;
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms: ${found.length}/${count} messages in ${address}/${folder}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Appends a raw message to a folder of a user's mailbox (creating the folder if needed). */
export async function appendMessage(dovecot: Dovecot, address: string, raw: string | Buffer, folder = 'INBOX'): Promise<number> {
  const c = imapAs(dovecot, address);
  await c.connect();
  try {
    if (folder !== 'INBOX') await c.mailboxCreate(folder).catch(() => undefined);
    const res = await c.append(folder, raw);
    if (!res) throw new Error(`APPEND to ${address}/${folder} failed`);
    return res.uid ?? 0;
  } finally {
    await c.logout().catch(() => undefined);
  }
}

/** Delivers a raw message as the mail server would (LMTP, with envelope and Received header). */
export async function deliver(dovecot: Dovecot, to: string, raw: string | Buffer, from = 'sender@example.net'): Promise<void> {
  const lmtp = nodemailer.createTransport({ host: '127.0.0.1', port: dovecot.lmtpPort, lmtp: true, ignoreTLS: true });
  try {
    const info = await lmtp.sendMail({ envelope: { from, to: [to] }, raw });
    if (info.rejected.length) throw new Error(`LMTP rejected ${to}`);
  } finally {
    lmtp.close();
  }
}

export interface FlaggedMessage {
  uid: number;
  messageId: string;
  subject: string;
  flags: string[];
}

/** UID, Message-ID and flags of every message in a folder (FETCH FLAGS ENVELOPE only: reading them sets no flag). */
export async function flagsIn(dovecot: Dovecot, address: string, folder = 'INBOX'): Promise<FlaggedMessage[]> {
  const c = imapAs(dovecot, address);
  await c.connect();
  try {
    if (!(await c.list()).some((m) => m.path === folder)) return [];
    const lock = await c.getMailboxLock(folder);
    try {
      const out: FlaggedMessage[] = [];
      for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true })) {
        out.push({ uid: m.uid, messageId: m.envelope?.messageId ?? '', subject: m.envelope?.subject ?? '', flags: [...(m.flags ?? [])].sort() });
      }
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await c.logout().catch(() => undefined);
  }
}

/**
 * An IMAP client logged in as `address` itself (not the master user) that records
 * every command it sends, as imapflow writes it on the wire (`3 UID FETCH 5 (UID BODY.PEEK[])`).
 */
export function recordingClient(dovecot: Dovecot, address: string, password: string): { client: ImapFlow; commands: string[] } {
  const commands: string[] = [];
  const quiet = (): void => undefined;
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: dovecot.imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user: address, pass: password },
    logger: {
      debug: (o: { src?: string; msg?: string }) => {
        if (o.src === 'c' && typeof o.msg === 'string') commands.push(o.msg);
      },
      info: quiet,
      warn: quiet,
      error: quiet,
    },
  });
  client.on('error', () => undefined);
  return { client, commands };
}
