import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseDuration } from '../src/domain/duration.ts';
import { parseDigestSetting } from '../src/domain/digest.ts';
import { parseCap } from '../src/domain/mail-caps.ts';

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

/** A sliding-window cap written like `10/1d`: at most 10 mails in any day. */
const cap = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s, ctx) => {
      const c = parseCap(s, parseDuration);
      if (c === null) {
        ctx.addIssue({ code: 'custom', message: `"${s}" is not a cap like 10/1d (mails per duration)` });
        return z.NEVER;
      }
      return c;
    });

const port = z.coerce.number().int().min(1).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === '' ? undefined : s));

export const MAIL_PROVIDERS = ['google', 'microsoft365', 'generic'] as const;
export type MailProvider = (typeof MAIL_PROVIDERS)[number];
export const OAUTH_GRANTS = ['client_credentials', 'refresh_token'] as const;

/** Secrets that may also come from a file (Docker secrets): `X_FILE=/run/secrets/x` fills X with the file's text. */
export const FILE_SECRETS = ['IMAP_PASSWORD', 'SMTP_PASSWORD', 'OAUTH_CLIENT_SECRET', 'OAUTH_REFRESH_TOKEN', 'TOKEN_SECRET', 'REDIS_URL'] as const;

const ConfigObject = z
  .object({
    NODE_ENV: z.string().default('production'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** auto: readable lines (pino-pretty) when stdout is a terminal, JSON lines otherwise; json or pretty: always. */
    LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),

    REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).default('redis://127.0.0.1:6379'),
    /** Prefix of every Redis key and BullMQ queue, so several desks (or tests) share one Redis. */
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
      .default('coalition'),
    REDIS_URL_FILE: optionalString,

    /** Fills in hosts, ports, TLS, sign-in and the token endpoint for a known provider (see PRESETS). */
    MAIL_PROVIDER: z.enum(MAIL_PROVIDERS).default('generic'),

    IMAP_HOST: optionalString,
    IMAP_PORT: port.default(993),
    IMAP_SECURE: z.stringbool().default(true),
    IMAP_USER: optionalString,
    /** password: IMAP_PASSWORD; oauth2: an access token from OAUTH_TOKEN_URL (XOAUTH2). */
    IMAP_AUTH: z.enum(['password', 'oauth2']).default('password'),
    IMAP_PASSWORD: optionalString,
    IMAP_PASSWORD_FILE: optionalString,
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
    /** password: SMTP_USER/SMTP_PASSWORD; oauth2: XOAUTH2 with the same tokens as IMAP; none: no AUTH. */
    SMTP_AUTH: z.enum(['password', 'oauth2', 'none']).default('none'),
    SMTP_PASSWORD: optionalString,
    SMTP_PASSWORD_FILE: optionalString,
    SMTP_TLS_INSECURE: z.stringbool().default(false),
    /** Outgoing mails per second at most (BullMQ limiter). */
    SMTP_RATE_PER_SECOND: z.coerce.number().positive().default(5),
    /** SMTP connections the mailer keeps open at once (hosted providers often allow only a few); it sends on twice as many jobs. */
    SMTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(20).default(3),
    /** First retry delay after a temporary SMTP failure (connection refused, timeout, 4xx); doubles each attempt. */
    SMTP_RETRY_DELAY: duration('30s'),
    /** Longest wait between two attempts. */
    SMTP_RETRY_MAX_DELAY: duration('30m'),
    /** Attempts in all before a mail is failed (about a day with the defaults). */
    SMTP_RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(50),

    /** Token endpoint; `{tenant}` in it is replaced by OAUTH_TENANT. */
    OAUTH_TOKEN_URL: optionalString,
    /** Microsoft Entra tenant: the Directory (tenant) ID, or the organisation's domain. */
    OAUTH_TENANT: optionalString,
    /** client_credentials (Microsoft 365 app-only) or refresh_token (Google, or Microsoft delegated). */
    OAUTH_GRANT: z.enum(OAUTH_GRANTS).default('client_credentials'),
    OAUTH_CLIENT_ID: optionalString,
    OAUTH_CLIENT_SECRET: optionalString,
    OAUTH_CLIENT_SECRET_FILE: optionalString,
    OAUTH_REFRESH_TOKEN: optionalString,
    OAUTH_REFRESH_TOKEN_FILE: optionalString,
    /** Space-separated scopes asked for; the provider preset's when unset. */
    OAUTH_SCOPE: optionalString,

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
    TOKEN_SECRET_FILE: optionalString,

    DEFAULT_LANGUAGE: z.enum(['sq', 'en']).default('sq'),
    /** Send Albanian and English together in one mail. */
    BILINGUAL: z.stringbool().default(false),
    UNDO_WINDOW: duration('15m'),
    /**
     * Received messages the processor reads at once. Requests stay exactly-once at any value (each
     * creation is atomic with its duplicate check); more helps a backlog catch up.
     */
    PROCESSOR_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
    APPROVALS_REQUIRED: z.coerce.number().int().min(1).max(5).default(1),
    REMINDER_AFTER: duration('3d'),
    REQUEST_TTL: duration('30d'),
    /**
     * During a flood, one mail listing the waiting requests instead of one approval mail per request
     * (src/domain/digest.ts): `off`, `always`, or a rate like `30/h` (digest mode above it).
     */
    APPROVAL_DIGEST: z
      .string()
      .default('30/h')
      .transform((s, ctx) => {
        const d = parseDigestSetting(s);
        if (d === null) {
          ctx.addIssue({ code: 'custom', message: `"${s}" is not off, always, or a rate like 30/h` });
          return z.NEVER;
        }
        return d;
      }),
    /** How often the digest goes out while there are requests in it. */
    APPROVAL_DIGEST_EVERY: duration('15m').refine((ms) => ms >= 1000, 'must be at least 1s'),
    /**
     * Mail that is not the desk's business (info@ is the institute's general address, its staff read it too):
     * leave it in the watched folder as it arrived, file it in FOLDER_IGNORED, or forward it to the coordinators.
     */
    UNRELATED_MAIL: z.enum(['leave', 'folder', 'forward']).default('leave'),

    /**
     * Caps on the mail the desk sends by itself, in sliding windows; a mail over any of them is recorded
     * (in the request's audit and under data:outbox:capped) and never sent.
     */
    MAIL_CAP_PER_RECIPIENT: cap('10/1d'),
    /** To one coordinator (approval requests, echoes, help mails). */
    MAIL_CAP_PER_COORDINATOR: cap('200/1d'),
    MAIL_CAP_PER_REQUEST: cap('30/1d'),
    /** Mail caused by the messages of one sender (acknowledgements and the approval requests they start). */
    MAIL_CAP_PER_SENDER: cap('30/1d'),
    /** Warnings to the coordinators that a forged decision was ignored, all together. */
    MAIL_CAP_WARNINGS: cap('5/1h'),
    MAIL_CAP_TOTAL: cap('500/1h'),
    /** Received mail larger than this is not attached to approval requests; the mail says where it is instead. */
    ATTACH_ORIGINAL_MAX_BYTES: z.coerce.number().int().min(0).default(2 * 1024 * 1024),
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
 * What MAIL_PROVIDER fills in when the operator leaves a setting unset (a set
 * value always wins). Both providers want implicit TLS for IMAP; Gmail takes
 * SMTP over implicit TLS on 465 (RFC 8314), Exchange Online only STARTTLS on 587.
 */
export const PRESETS: Record<Exclude<MailProvider, 'generic'>, Record<string, string>> = {
  google: {
    IMAP_HOST: 'imap.gmail.com',
    IMAP_PORT: '993',
    IMAP_SECURE: 'true',
    SMTP_HOST: 'smtp.gmail.com',
    SMTP_PORT: '465',
    SMTP_SECURE: 'true',
    IMAP_AUTH: 'oauth2',
    SMTP_AUTH: 'oauth2',
    OAUTH_TOKEN_URL: 'https://oauth2.googleapis.com/token',
  },
  microsoft365: {
    IMAP_HOST: 'outlook.office365.com',
    IMAP_PORT: '993',
    IMAP_SECURE: 'true',
    SMTP_HOST: 'smtp.office365.com',
    SMTP_PORT: '587',
    SMTP_SECURE: 'false',
    IMAP_AUTH: 'oauth2',
    SMTP_AUTH: 'oauth2',
    OAUTH_TOKEN_URL: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
  },
};

/**
 * The scope asked for when OAUTH_SCOPE is unset. Google has one scope for IMAP
 * and SMTP. Microsoft's app-only tokens take the resource's `.default` (the
 * IMAP.AccessAsApp and SMTP.SendAsApp roles the admin consented to); delegated
 * tokens name the two permissions, plus offline_access to keep a refresh token.
 */
export const DEFAULT_SCOPES: Record<MailProvider, Record<(typeof OAUTH_GRANTS)[number], string | undefined>> = {
  google: { refresh_token: 'https://mail.google.com/', client_credentials: undefined },
  microsoft365: {
    client_credentials: 'https://outlook.office365.com/.default',
    refresh_token: 'https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access',
  },
  generic: { client_credentials: 'https://outlook.office365.com/.default', refresh_token: undefined },
};

type Problem = { variable: string; message: string };

const isSet = (env: Record<string, string | undefined>, k: string): boolean => env[k] !== undefined && env[k].trim() !== '';

export function providerOf(raw: Record<string, string | undefined>): MailProvider {
  const p = raw.MAIL_PROVIDER?.trim();
  return p === 'google' || p === 'microsoft365' ? p : 'generic';
}

/** True when the settings name a real mailbox; otherwise `coalition start` runs the local sandbox. */
export function configuresMailbox(raw: Record<string, string | undefined>): boolean {
  return isSet(raw, 'IMAP_HOST') || providerOf(raw) !== 'generic';
}

/**
 * The raw settings as the schema reads them: secrets read from their *_FILE,
 * the provider preset filled in, the sign-in methods, grant and scope that
 * follow from the rest, and `{tenant}` replaced in the token URL. Pure but for
 * reading the *_FILE files; what cannot be read is returned as a problem
 * (crossFieldProblems reports it, with every other bad setting).
 */
export function expandEnv(raw: Record<string, string>): { env: Record<string, string>; problems: Problem[] } {
  const env: Record<string, string> = { ...raw };
  const problems: Problem[] = [];
  for (const k of FILE_SECRETS) {
    const fileKey = `${k}_FILE`;
    if (!isSet(raw, fileKey)) continue;
    if (isSet(raw, k)) {
      problems.push({ variable: fileKey, message: `set ${k} or ${fileKey}, not both` });
      continue;
    }
    try {
      // Docker secrets and `echo x > file` end in a newline that is no part of the secret.
      const text = readFileSync((raw[fileKey] ?? '').trim(), 'utf8').replace(/[\r\n]+$/, '');
      if (text.trim() === '') problems.push({ variable: fileKey, message: 'names an empty file' });
      else env[k] = text;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      problems.push({ variable: fileKey, message: `names a file that cannot be read (${code})` });
    }
  }
  const provider = providerOf(raw);
  if (provider !== 'generic') {
    for (const [k, v] of Object.entries(PRESETS[provider])) if (!isSet(env, k)) env[k] = v;
    if (!isSet(env, 'IMAP_USER') && isSet(env, 'COALITION_ADDRESS')) env.IMAP_USER = env.COALITION_ADDRESS as string;
  }
  if (!isSet(env, 'SMTP_AUTH')) env.SMTP_AUTH = isSet(env, 'SMTP_USER') ? 'password' : 'none';
  // Signing in to SMTP as the mailbox itself: always so with OAuth, and what the providers expect of an app password.
  if ((env.SMTP_AUTH === 'oauth2' || (provider !== 'generic' && env.SMTP_AUTH === 'password')) && !isSet(env, 'SMTP_USER')) {
    const user = isSet(env, 'IMAP_USER') ? env.IMAP_USER : env.COALITION_ADDRESS;
    if (user) env.SMTP_USER = user;
  }
  if (!isSet(env, 'OAUTH_GRANT')) env.OAUTH_GRANT = isSet(env, 'OAUTH_REFRESH_TOKEN') ? 'refresh_token' : 'client_credentials';
  const usesOAuth = env.IMAP_AUTH === 'oauth2' || env.SMTP_AUTH === 'oauth2';
  const grant = env.OAUTH_GRANT === 'refresh_token' ? 'refresh_token' : 'client_credentials';
  const scope = DEFAULT_SCOPES[provider][grant];
  if (usesOAuth && !isSet(env, 'OAUTH_SCOPE') && scope) env.OAUTH_SCOPE = scope;
  const url = env.OAUTH_TOKEN_URL;
  if (url?.includes('{tenant}') && TENANT.test(env.OAUTH_TENANT?.trim() ?? '')) {
    env.OAUTH_TOKEN_URL = url.split('{tenant}').join(encodeURIComponent((env.OAUTH_TENANT ?? '').trim()));
  }
  return { env, problems };
}

/** A tenant ID (GUID) or a verified domain: nothing that could change the token URL's path. */
const TENANT = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

/**
 * The one schema over the environment: the object below, read after
 * expandEnv(). `shape` stays reachable, for the tests that check the
 * documented settings against it.
 */
export const ConfigSchema = Object.assign(
  z.preprocess((raw) => (raw && typeof raw === 'object' ? expandEnv(raw as Record<string, string>).env : raw), ConfigObject),
  { shape: ConfigObject.shape },
);

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
  const expanded = expandEnv(raw);
  const problems: { variable: string; message: string }[] = [...expanded.problems];
  // Read the settings as the schema will: with secrets from files and the preset filled in.
  const env = expanded.env;
  const set = (k: string) => isSet(env, k);
  const provider = providerOf(raw);
  const imapOAuth = env.IMAP_AUTH === 'oauth2';
  const imap = ['IMAP_HOST', 'IMAP_USER', ...(imapOAuth ? [] : ['IMAP_PASSWORD'])];
  if (imap.some(set)) {
    for (const k of imap) if (!set(k)) problems.push({ variable: k, message: 'is required when a mailbox is configured' });
    if (!set('SMTP_HOST')) problems.push({ variable: 'SMTP_HOST', message: 'is required when a mailbox is configured' });
  }
  if (imapOAuth && set('IMAP_PASSWORD')) {
    problems.push({ variable: 'IMAP_PASSWORD', message: 'is not used with IMAP_AUTH=oauth2: remove it, or set IMAP_AUTH=password' });
  }
  if (provider === 'microsoft365' && env.IMAP_AUTH === 'password') {
    problems.push({
      variable: 'IMAP_AUTH',
      message: 'cannot be password with MAIL_PROVIDER=microsoft365: Microsoft 365 turned password (basic) sign-in for IMAP off in 2022–23; use oauth2',
    });
  }
  if (env.SMTP_AUTH === 'password' && !isSet(raw, 'SMTP_AUTH')) {
    // Inferred from SMTP_USER, as before SMTP_AUTH existed.
    if (!set('SMTP_PASSWORD')) problems.push({ variable: 'SMTP_PASSWORD', message: 'SMTP_USER and SMTP_PASSWORD go together' });
  } else if (env.SMTP_AUTH === 'password') {
    for (const k of ['SMTP_USER', 'SMTP_PASSWORD']) if (!set(k)) problems.push({ variable: k, message: 'is required with SMTP_AUTH=password' });
  } else if (env.SMTP_AUTH === 'oauth2') {
    if (set('SMTP_PASSWORD')) problems.push({ variable: 'SMTP_PASSWORD', message: 'is not used with SMTP_AUTH=oauth2: remove it, or set SMTP_AUTH=password' });
  } else if (env.SMTP_AUTH === 'none') {
    if (!isSet(raw, 'SMTP_AUTH')) {
      if (set('SMTP_PASSWORD')) problems.push({ variable: 'SMTP_USER', message: 'SMTP_USER and SMTP_PASSWORD go together' });
    } else {
      for (const k of ['SMTP_USER', 'SMTP_PASSWORD']) if (set(k)) problems.push({ variable: k, message: 'is not used with SMTP_AUTH=none' });
    }
  }
  problems.push(...oauthProblems(env, raw, provider));
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

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;

/** The OAuth settings must describe one complete token request when IMAP or SMTP signs in with oauth2. */
function oauthProblems(env: Record<string, string>, raw: Record<string, string>, provider: MailProvider): Problem[] {
  const problems: Problem[] = [];
  const set = (k: string) => isSet(env, k);
  const oauthKeys = ['OAUTH_TOKEN_URL', 'OAUTH_TENANT', 'OAUTH_CLIENT_ID', 'OAUTH_CLIENT_SECRET', 'OAUTH_REFRESH_TOKEN', 'OAUTH_SCOPE'];
  if (env.IMAP_AUTH !== 'oauth2' && env.SMTP_AUTH !== 'oauth2') {
    for (const k of [...oauthKeys, 'OAUTH_GRANT']) {
      if (isSet(raw, k)) problems.push({ variable: k, message: 'is set, but neither IMAP_AUTH nor SMTP_AUTH is oauth2' });
    }
    return problems;
  }
  const why = provider === 'generic' ? 'with IMAP_AUTH=oauth2 or SMTP_AUTH=oauth2' : `with MAIL_PROVIDER=${provider}`;
  const url = env.OAUTH_TOKEN_URL ?? '';
  if (!url) {
    problems.push({ variable: 'OAUTH_TOKEN_URL', message: `is required ${why} (or set MAIL_PROVIDER=google|microsoft365)` });
  } else if (url.includes('{tenant}')) {
    const tenant = env.OAUTH_TENANT?.trim() ?? '';
    if (!tenant) {
      problems.push({
        variable: 'OAUTH_TENANT',
        message: `is required ${why}: the Directory (tenant) ID on the Overview page of the app registration (Microsoft Entra admin centre)`,
      });
    } else if (!TENANT.test(tenant)) {
      problems.push({ variable: 'OAUTH_TENANT', message: 'must be a tenant ID (a GUID) or the organisation\'s domain' });
    }
  } else {
    let parsed: URL | null = null;
    try {
      parsed = new URL(url);
    } catch {
      problems.push({ variable: 'OAUTH_TOKEN_URL', message: 'must be a URL' });
    }
    if (parsed && !(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK_HOST.test(parsed.hostname)))) {
      problems.push({ variable: 'OAUTH_TOKEN_URL', message: 'must be an https:// URL (http:// only on this machine, for tests)' });
    }
    if (isSet(raw, 'OAUTH_TENANT') && !(raw.OAUTH_TOKEN_URL ?? PRESETS[provider as keyof typeof PRESETS]?.OAUTH_TOKEN_URL ?? '').includes('{tenant}')) {
      problems.push({ variable: 'OAUTH_TENANT', message: 'is not used: OAUTH_TOKEN_URL has no {tenant} to fill in' });
    }
  }
  if (!set('OAUTH_CLIENT_ID')) problems.push({ variable: 'OAUTH_CLIENT_ID', message: `is required ${why}` });
  const grant = env.OAUTH_GRANT;
  if (grant === 'client_credentials') {
    if (provider === 'google') {
      problems.push({
        variable: isSet(raw, 'OAUTH_GRANT') ? 'OAUTH_GRANT' : 'OAUTH_REFRESH_TOKEN',
        message: isSet(raw, 'OAUTH_GRANT')
          ? 'cannot be client_credentials with MAIL_PROVIDER=google: Gmail takes only user tokens; use refresh_token with OAUTH_REFRESH_TOKEN'
          : 'is required with MAIL_PROVIDER=google (Gmail takes only user tokens: see the README for making one)',
      });
    }
    if (!set('OAUTH_CLIENT_SECRET')) problems.push({ variable: 'OAUTH_CLIENT_SECRET', message: 'is required with OAUTH_GRANT=client_credentials' });
    if (set('OAUTH_REFRESH_TOKEN')) problems.push({ variable: 'OAUTH_REFRESH_TOKEN', message: 'is not used with OAUTH_GRANT=client_credentials' });
    const tenant = env.OAUTH_TENANT?.trim().toLowerCase();
    if (tenant === 'common' || tenant === 'organizations' || tenant === 'consumers') {
      problems.push({ variable: 'OAUTH_TENANT', message: `cannot be ${tenant} with OAUTH_GRANT=client_credentials: app-only sign-in needs your own tenant's ID` });
    }
  } else if (grant === 'refresh_token' && !set('OAUTH_REFRESH_TOKEN')) {
    problems.push({ variable: 'OAUTH_REFRESH_TOKEN', message: 'is required with OAUTH_GRANT=refresh_token' });
  }
  return problems;
}
export type Config = z.output<typeof ConfigSchema>;

/** Settings whose values never appear in logs or errors. */
export const SECRET_KEYS = [
  'IMAP_PASSWORD',
  'SMTP_PASSWORD',
  'TOKEN_SECRET',
  'DKIM_PRIVATE_KEY',
  'REDIS_URL',
  'OAUTH_CLIENT_SECRET',
  'OAUTH_REFRESH_TOKEN',
  'HTTP_TOKEN',
] as const;

/** True when a real mailbox is configured; otherwise `coalition start` runs the local sandbox. */
export function hasMailbox(c: Config): boolean {
  return c.IMAP_HOST !== undefined;
}
