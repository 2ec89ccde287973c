import { existsSync, readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type { Config } from '../../../config/schema.ts';

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
>;

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

/**
 * A pooled nodemailer SMTP transport from the config. Implicit TLS when
 * SMTP_SECURE (port 465), else STARTTLS when offered, and required whenever
 * credentials would cross a network (not loopback). DKIM signs when the three
 * DKIM_* settings are set. File and URL access are off: attachments are
 * always inline content, never paths a mail could smuggle in.
 */
export function createSmtpTransport(c: SmtpConfig) {
  if (!c.SMTP_HOST) throw new MailerError('SMTP_NOT_CONFIGURED', 'SMTP_HOST is not set');
  const loopback = LOOPBACK.test(c.SMTP_HOST);
  return nodemailer.createTransport({
    pool: true,
    maxConnections: 2,
    maxMessages: 100,
    host: c.SMTP_HOST,
    port: c.SMTP_PORT,
    secure: c.SMTP_SECURE,
    requireTLS: !c.SMTP_SECURE && !loopback && c.SMTP_USER !== undefined,
    auth: c.SMTP_USER ? { user: c.SMTP_USER, pass: c.SMTP_PASSWORD ?? '' } : undefined,
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
}

export type SmtpTransport = ReturnType<typeof createSmtpTransport>;
