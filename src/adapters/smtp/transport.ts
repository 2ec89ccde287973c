import { existsSync, readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type { Config } from '../../../config/schema.ts';
import { tokenSourceFor, type AccessTokens, type OAuthConfig } from '../oauth/index.ts';

export class MailerError extends Error {
  constructor(
    readonly code: 'SMTP_NOT_CONFIGURED' | 'DKIM_KEY_UNREADABLE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MailerError';
  }
}

type SmtpConfig = Pick<
  Config,
  | 'SMTP_HOST'
  | 'SMTP_PORT'
  | 'SMTP_SECURE'
  | 'SMTP_USER'
  | 'SMTP_PASSWORD'
  | 'SMTP_TLS_INSECURE'
  | 'DKIM_DOMAIN'
  | 'DKIM_SELECTOR'
  | 'DKIM_PRIVATE_KEY'
> &
  // Older callers (and tests) built this from a password-only config: no SMTP_AUTH means "as SMTP_USER says".
  Partial<Pick<Config, 'SMTP_AUTH' | 'SMTP_MAX_CONNECTIONS'> & OAuthConfig>;

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i;

/** DKIM_PRIVATE_KEY holds the PEM itself or a path to it. */
export function readDkimKey(value: string): string {
  if (value.includes('-----BEGIN')) return value.replace(/\\n/g, '\n');
  if (!existsSync(value)) throw new MailerError('DKIM_KEY_UNREADABLE', 'DKIM_PRIVATE_KEY is neither a PEM key nor a readable file');
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new MailerError('DKIM_KEY_UNREADABLE', 'DKIM_PRIVATE_KEY file could not be read', { cause: err });
  }
}

/** The sign-in the settings ask for (without SMTP_AUTH: password when SMTP_USER is set, as before it existed). */
function smtpAuthOf(c: SmtpConfig): 'password' | 'oauth2' | 'none' {
  return c.SMTP_AUTH ?? (c.SMTP_USER ? 'password' : 'none');
}

/**
 * An SMTP error that is the server refusing our credentials (535, RFC 4954 §6),
 * not a lost line, and not a server without AUTH (500–504), which no new token mends.
 */
export function isSmtpAuthRefusal(err: unknown): boolean {
  const e = err as { code?: string; command?: string; responseCode?: number } | null;
  return e?.code === 'EAUTH' && e.responseCode === 535 && /^AUTH\b/i.test(e.command ?? 'AUTH');
}

/**
 * A pooled nodemailer SMTP transport from the config. Implicit TLS when
 * SMTP_SECURE (port 465), else STARTTLS when offered, and required whenever
 * credentials would cross a network (not loopback). With credentials, AUTH is
 * always attempted (forceAuth): a server that stops offering AUTH gets no
 * unauthenticated mail from us, and doctor can say so. DKIM signs when the three
 * DKIM_* settings are set. File and URL access are off: attachments are always
 * inline content, never paths a mail could smuggle in.
 *
 * SMTP_AUTH=oauth2 signs in with XOAUTH2 and the access tokens IMAP uses.
 * nodemailer asks again for a token before the one it holds expires; when the
 * server refuses a token it asks once for a renewed one itself if the server
 * answered with an XOAUTH2 error challenge (334, as Gmail does), and this
 * transport retries a send or verify once with a new token when the server
 * refused outright (535, as Exchange Online does).
 */
export function createSmtpTransport(c: SmtpConfig, o: { tokens?: AccessTokens } = {}) {
  if (!c.SMTP_HOST) throw new MailerError('SMTP_NOT_CONFIGURED', 'SMTP_HOST is not set');
  const loopback = LOOPBACK.test(c.SMTP_HOST);
  const method = smtpAuthOf(c);
  const tokens = method === 'oauth2' ? (o.tokens ?? tokenSourceFor(c as OAuthConfig)) : undefined;
  if (method === 'oauth2' && !c.SMTP_USER) throw new MailerError('SMTP_NOT_CONFIGURED', 'SMTP_USER is needed for SMTP_AUTH=oauth2');
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: c.SMTP_MAX_CONNECTIONS ?? 3,
    maxMessages: 100,
    host: c.SMTP_HOST,
    port: c.SMTP_PORT,
    secure: c.SMTP_SECURE,
    requireTLS: !c.SMTP_SECURE && !loopback && method !== 'none',
    forceAuth: method !== 'none',
    auth:
      method === 'oauth2'
        ? { type: 'OAuth2', user: c.SMTP_USER }
        : method === 'password'
          ? { user: c.SMTP_USER ?? '', pass: c.SMTP_PASSWORD ?? '' }
          : undefined,
    tls: { rejectUnauthorized: !c.SMTP_TLS_INSECURE, minVersion: 'TLSv1.2' },
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    disableFileAccess: true,
    disableUrlAccess: true,
    dkim:
      c.DKIM_DOMAIN && c.DKIM_SELECTOR && c.DKIM_PRIVATE_KEY
        ? { domainName: c.DKIM_DOMAIN, keySelector: c.DKIM_SELECTOR, privateKey: readDkimKey(c.DKIM_PRIVATE_KEY) }
        : undefined,
  });
  if (tokens) withTokens(transport, tokens);
  return transport;
}

type Transport = ReturnType<typeof nodemailer.createTransport>;

/**
 * Hands nodemailer its tokens (oauth2_provision_cb) and retries once after an
 * outright refusal. Every token handed out is remembered by the connection that
 * asked, so a refusal drops exactly the token that was refused.
 */
function withTokens(transport: Transport, tokens: AccessTokens): void {
  let lastHanded: string | null = null;
  let renewals = 0;
  transport.set('oauth2_provision_cb', (_user, renew, callback) => {
    if (renew && lastHanded) {
      // The server answered the XOAUTH2 attempt with an error challenge: this token is dead.
      tokens.refused(lastHanded);
      renewals += 1;
    }
    tokens.get().then(
      (t) => {
        lastHanded = t.accessToken;
        callback(null, t.accessToken, t.refreshAt);
      },
      // A copy: nodemailer stamps its own code (EAUTH) on the error it is given, and ours must keep its own.
      (err: unknown) => callback(new Error((err as Error).message, { cause: err })),
    );
  });
  const once = async <T>(run: () => Promise<T>): Promise<T> => {
    const before = renewals;
    try {
      return await run();
    } catch (err) {
      // nodemailer renewed the token itself already (the 334 path): that was the one retry.
      if (!isSmtpAuthRefusal(err) || renewals !== before || !lastHanded) throw err;
      tokens.refused(lastHanded);
      return run();
    }
  };
  const sendMail = transport.sendMail.bind(transport) as (m: Parameters<Transport['sendMail']>[0]) => Promise<unknown>;
  const verify = transport.verify.bind(transport) as () => Promise<true>;
  Object.assign(transport, {
    sendMail: (m: Parameters<Transport['sendMail']>[0], cb?: (err: Error | null, info?: unknown) => void) => {
      const p = once(() => sendMail(m));
      if (!cb) return p;
      p.then(
        (info) => cb(null, info),
        (err: Error) => cb(err),
      );
      return undefined;
    },
    verify: (cb?: (err: Error | null, ok?: true) => void) => {
      const p = once(() => verify());
      if (!cb) return p;
      p.then(
        (ok) => cb(null, ok),
        (err: Error) => cb(err),
      );
      return undefined;
    },
  });
}

export type SmtpTransport = ReturnType<typeof createSmtpTransport>;
