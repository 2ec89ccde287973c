import { ImapFlow } from 'imapflow';
import type { Config } from '../../../config/schema.ts';
import { tokenSourceFor, type AccessTokens } from '../oauth/index.ts';

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
  /** IMAP_AUTH=password: the password. */
  pass?: string;
  /** IMAP_AUTH=oauth2: where each login gets its access token (XOAUTH2, or OAUTHBEARER when the server prefers it). */
  tokens?: AccessTokens;
  tlsInsecure: boolean;
}

export function imapSettings(config: Config): ImapSettings {
  const oauth = config.IMAP_AUTH === 'oauth2';
  if (!config.IMAP_HOST || !config.IMAP_USER || (!oauth && !config.IMAP_PASSWORD)) {
    throw new MailboxError(
      'MAILBOX_NOT_CONFIGURED',
      oauth ? 'IMAP_HOST and IMAP_USER are needed to watch the mailbox' : 'IMAP_HOST, IMAP_USER and IMAP_PASSWORD are needed to watch the mailbox',
    );
  }
  return {
    host: config.IMAP_HOST,
    port: config.IMAP_PORT,
    secure: config.IMAP_SECURE,
    user: config.IMAP_USER,
    ...(oauth ? { tokens: tokenSourceFor(config) } : { pass: config.IMAP_PASSWORD }),
    tlsInsecure: config.IMAP_TLS_INSECURE,
  };
}

/** True for an imapflow error that is the server refusing the credentials (a tagged NO to LOGIN/AUTHENTICATE). */
export function isAuthRefusal(err: unknown): boolean {
  return (err as { authenticationFailed?: boolean } | null)?.authenticationFailed === true;
}

/**
 * An imapflow client for the watcher: no auto-IDLE (the watcher starts IDLE
 * itself right after each catch-up, for latency), imapflow's own logging off
 * (the watcher logs what matters), and a socket timeout as the last line of
 * defence behind the watcher's NOOP health check.
 *
 * With OAuth, connect() first gets an access token (a cached one while it is
 * valid for a while yet), so every session (and so every reconnect after the
 * server ends one, as Exchange Online does when the token expires) logs in with
 * a live token. A token the server refuses is dropped, so the next connect
 * (the watcher's reconnect, doctor's retry) asks the endpoint once for a new one.
 */
export function createImapClient(s: ImapSettings, o: { socketTimeoutMs: number; connectTimeoutMs: number }): ImapFlow {
  const client = new ImapFlow({
    host: s.host,
    port: s.port,
    secure: s.secure,
    auth: s.tokens ? { user: s.user, accessToken: 'not-yet-fetched' } : { user: s.user, pass: s.pass ?? '' },
    tls: { rejectUnauthorized: !s.tlsInsecure },
    logger: false,
    disableAutoIdle: true,
    socketTimeout: o.socketTimeoutMs,
    connectionTimeout: o.connectTimeoutMs,
    greetingTimeout: o.connectTimeoutMs,
    clientInfo: { name: 'coalition-desk' },
  });
  const tokens = s.tokens;
  if (tokens) {
    const connect = client.connect.bind(client);
    client.connect = async () => {
      const { accessToken } = await tokens.get();
      // imapflow reads auth.accessToken when it authenticates, inside connect().
      client.options.auth = { user: s.user, accessToken };
      try {
        await connect();
      } catch (err) {
        if (isAuthRefusal(err)) tokens.refused(accessToken);
        throw err;
      }
    };
  }
  return client;
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
