import { z } from 'zod';
import { parseDuration } from '../src/domain/duration.ts';

/**
 * The one description of the service's settings. Nothing else reads process.env:
 * loadConfig() parses it once and reports every bad variable in one error.
 */

const csvEmails = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.email({ error: 'every entry must be an e-mail address' })));

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s, ctx) => {
      const ms = parseDuration(s);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: `"${s}" is not a duration like 90s, 15m, 3d` });
        return z.NEVER;
      }
      return ms;
    });

const port = z.coerce.number().int().min(1).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === '' ? undefined : s));

export const ConfigSchema = z
  .object({
    NODE_ENV: z.string().default('production'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).default('redis://127.0.0.1:6379'),
    /** Prefix of every Redis key and BullMQ queue, so several desks (or tests) share one Redis. */
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
      .default('coalition'),

    IMAP_HOST: optionalString,
    IMAP_PORT: port.default(993),
    IMAP_SECURE: z.stringbool().default(true),
    IMAP_USER: optionalString,
    IMAP_PASSWORD: optionalString,
    IMAP_MAILBOX: z.string().min(1).default('INBOX'),
    /** Accept self-signed server certificates (development servers only). */
    IMAP_TLS_INSECURE: z.stringbool().default(false),
    /** Poll interval that backs up IDLE (servers without IDLE, IDLE connections that die silently). */
    IMAP_POLL_INTERVAL: duration('60s'),

    FOLDER_PROCESSED: z.string().min(1).default('Coalition/Processed'),
    FOLDER_IGNORED: z.string().min(1).default('Coalition/Ignored'),
    FOLDER_QUARANTINE: z.string().min(1).default('Coalition/Quarantine'),
    /** Mail that arrived before this moment is left alone (see `coalition backfill`). Default: the first start. */
    PROCESS_SINCE: z.iso
      .datetime({ offset: true, local: true })
      .or(z.iso.date())
      .optional()
      .transform((s) => (s ? new Date(s) : undefined)),
    MAX_MESSAGE_BYTES: z.coerce.number().int().positive().default(25 * 1024 * 1024),
    /** Cap on the raw messages waiting in Redis for the processor; the watcher pauses hand-offs above it. */
    SPOOL_MAX_BYTES: z.coerce.number().int().positive().default(512 * 1024 * 1024),

    SMTP_HOST: optionalString,
    SMTP_PORT: port.default(587),
    SMTP_SECURE: z.stringbool().default(false),
    SMTP_USER: optionalString,
    SMTP_PASSWORD: optionalString,
    SMTP_TLS_INSECURE: z.stringbool().default(false),
    /** Outgoing mails per second at most (BullMQ limiter). */
    SMTP_RATE_PER_SECOND: z.coerce.number().positive().default(5),
    /** First retry delay after a temporary SMTP failure (connection refused, timeout, 4xx); doubles each attempt. */
    SMTP_RETRY_DELAY: duration('30s'),
    /** Longest wait between two attempts. */
    SMTP_RETRY_MAX_DELAY: duration('30m'),
    /** Attempts in all before a mail is failed (about a day with the defaults). */
    SMTP_RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(50),
    DKIM_DOMAIN: optionalString,
    DKIM_SELECTOR: optionalString,
    /** PEM private key, or a path to a file holding it. */
    DKIM_PRIVATE_KEY: optionalString,

    COALITION_ADDRESS: z.email({ error: 'must be the coalition mailbox address, e.g. info@example.org' }),
    COALITION_NAME: z.string().default('Koalicioni i OShC-ve për OGP – Shqipëri'),
    COORDINATORS: csvEmails.pipe(z.array(z.string()).min(1, 'name at least one coordinator')),
    COALITION_LIST: csvEmails.default([]),
    /** Also send each new statement version to every signatory contact with an address. */
    STATEMENT_TO_SIGNATORIES: z.stringbool().default(false),

    COORDINATOR_AUTH: z.enum(['dkim', 'token']).default('dkim'),
    /** authserv-id of our own receiving server; when set, its Authentication-Results header is trusted. */
    AUTHSERV_ID: optionalString,
    /** Secret for the HMAC tokens in approval requests (at least 32 characters). */
    TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)').optional(),

    DEFAULT_LANGUAGE: z.enum(['sq', 'en']).default('sq'),
    /** Send Albanian and English together in one mail. */
    BILINGUAL: z.stringbool().default(false),
    UNDO_WINDOW: duration('15m'),
    APPROVALS_REQUIRED: z.coerce.number().int().min(1).max(5).default(1),
    REMINDER_AFTER: duration('3d'),
    REQUEST_TTL: duration('30d'),
    /**
     * Mail that is not the desk's business (info@ is the institute's general address, its staff read it too):
     * leave it in the watched folder as it arrived, file it in FOLDER_IGNORED, or forward it to the coordinators.
     */
    UNRELATED_MAIL: z.enum(['leave', 'folder', 'forward']).default('leave'),

    /** The HTTP server (status page, /healthz, /readyz, /metrics): off unless a port is given (0: any free port). */
    HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    /** Where it listens: loopback unless said otherwise (put a TLS proxy in front of anything else). */
    HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    /** Guards the status page and /queues: `Authorization: Bearer …`, or the password of basic auth. Without it they are off. */
    HTTP_TOKEN: z.string().min(16, 'must be at least 16 characters (e.g. `openssl rand -hex 16`)').optional(),
    /** Serves the current statement and its signatories at /statement and /statement.json, without a token. */
    PUBLIC_STATEMENT: z.stringbool().default(false),
    /** The time zone of the times written in mails (IANA name). */
    TIME_ZONE: z
      .string()
      .default('Europe/Tirane')
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone like Europe/Tirane or UTC'),
  });

/**
 * Settings that were renamed: setting one stops start-up naming its replacement, rather
 * than being silently ignored while the desk does something else than the operator asked.
 */
const REPLACED: Record<string, { name: string; hint: (value: string) => string }> = {
  OTHER_MAIL: {
    name: 'UNRELATED_MAIL',
    hint: (v) =>
      v.trim() === 'forward' || v.trim() === 'folder'
        ? `OTHER_MAIL=${v.trim()} is now UNRELATED_MAIL=${v.trim()}; the new default, leave, keeps unrelated mail in the INBOX`
        : 'leave, folder or forward',
  },
};

/**
 * Rules that tie settings together. They read the raw strings so that they are
 * reported even when another variable fails to parse: one error names them all.
 */
export function crossFieldProblems(raw: Record<string, string>): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  const set = (k: string) => raw[k] !== undefined && raw[k].trim() !== '';
  const imap = ['IMAP_HOST', 'IMAP_USER', 'IMAP_PASSWORD'];
  if (imap.some(set)) {
    for (const k of imap) if (!set(k)) problems.push({ variable: k, message: 'is required when a mailbox is configured' });
    if (!set('SMTP_HOST')) problems.push({ variable: 'SMTP_HOST', message: 'is required when a mailbox is configured' });
  }
  if (set('SMTP_USER') !== set('SMTP_PASSWORD')) {
    problems.push({
      variable: set('SMTP_USER') ? 'SMTP_PASSWORD' : 'SMTP_USER',
      message: 'SMTP_USER and SMTP_PASSWORD go together',
    });
  }
  const dkim = ['DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY'];
  if (dkim.some(set) && !dkim.every(set)) {
    for (const k of dkim.filter((k) => !set(k))) {
      problems.push({ variable: k, message: 'DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY go together' });
    }
  }
  for (const [gone, replacement] of Object.entries(REPLACED)) {
    if (set(gone)) problems.push({ variable: gone, message: `is no longer read: use ${replacement.name} instead (${replacement.hint(raw[gone] ?? '')})` });
  }
  const required = Number(raw.APPROVALS_REQUIRED ?? '1');
  const coordinators = (raw.COORDINATORS ?? '').split(',').filter((a) => a.trim()).length;
  if (Number.isInteger(required) && coordinators > 0 && required > coordinators) {
    problems.push({
      variable: 'APPROVALS_REQUIRED',
      message: `is ${required} but only ${coordinators} coordinator(s) are listed`,
    });
  }
  return problems;
}

export type Config = z.output<typeof ConfigSchema>;

/** Settings whose values never appear in logs or errors. */
export const SECRET_KEYS = ['IMAP_PASSWORD', 'SMTP_PASSWORD', 'TOKEN_SECRET', 'DKIM_PRIVATE_KEY', 'REDIS_URL', 'HTTP_TOKEN'] as const;

/** True when a real mailbox is configured; otherwise `coalition start` runs the local sandbox. */
export function hasMailbox(c: Config): boolean {
  return c.IMAP_HOST !== undefined;
}
