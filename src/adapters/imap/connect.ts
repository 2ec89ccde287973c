import { ImapFlow } from 'imapflow';
import type { Config } from '../../../config/schema.ts';

export class MailboxError extends Error {
  constructor(
    readonly code: 'MAILBOX_NOT_CONFIGURED' | 'MAILBOX_UNAVAILABLE' | 'MAILBOX_TIMEOUT' | 'MAILBOX_MOVE_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MailboxError';
  }
}

export interface ImapSettings {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  pass: string;
  tlsInsecure: boolean;
}

export function imapSettings(config: Config): ImapSettings {
  if (!config.IMAP_HOST || !config.IMAP_USER || !config.IMAP_PASSWORD) {
    throw new MailboxError('MAILBOX_NOT_CONFIGURED', 'IMAP_HOST, IMAP_USER and IMAP_PASSWORD are needed to watch the mailbox');
  }
  return {
    host: config.IMAP_HOST,
    port: config.IMAP_PORT,
    secure: config.IMAP_SECURE,
    user: config.IMAP_USER,
    pass: config.IMAP_PASSWORD,
    tlsInsecure: config.IMAP_TLS_INSECURE,
  };
}

/**
 * An imapflow client for the watcher: no auto-IDLE (the watcher starts IDLE
 * itself right after each catch-up, for latency), imapflow's own logging off
 * (the watcher logs what matters), and a socket timeout as the last line of
 * defence behind the watcher's NOOP health check.
 */
export function createImapClient(s: ImapSettings, o: { socketTimeoutMs: number; connectTimeoutMs: number }): ImapFlow {
  return new ImapFlow({
    host: s.host,
    port: s.port,
    secure: s.secure,
    auth: { user: s.user, pass: s.pass },
    tls: { rejectUnauthorized: !s.tlsInsecure },
    logger: false,
    disableAutoIdle: true,
    socketTimeout: o.socketTimeoutMs,
    connectionTimeout: o.connectTimeoutMs,
    greetingTimeout: o.connectTimeoutMs,
    clientInfo: { name: 'coalition-desk' },
  });
}

/** Rejects with MAILBOX_TIMEOUT when `p` takes longer than `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MailboxError('MAILBOX_TIMEOUT', `${what} got no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
