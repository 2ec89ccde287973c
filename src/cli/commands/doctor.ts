import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import { loadConfig } from '../../../config/load.ts';
import { hasMailbox, type Config, type MailProvider } from '../../../config/schema.ts';
import { createImapClient, imapSettings, isAuthRefusal } from '../../adapters/imap/connect.ts';
import { namespaceOf, serverPath } from '../../adapters/imap/folders.ts';
import { OAuthError, tokenSourceFor, type AccessTokens, type TokenSource } from '../../adapters/oauth/index.ts';
import { createSmtpTransport } from '../../adapters/smtp/transport.ts';
import { printJsonLine } from '../io.ts';

export type Status = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  name: string;
  /** False only for a failure: a warning or a skipped check does not make doctor fail. */
  ok: boolean;
  status: Status;
  detail: string;
  /** What to check next, for anything but ok. */
  next?: string;
  /** Stable code of the finding (OAUTH_INVALID_CLIENT, IMAP_TOKEN_REFUSED, NO_IDLE …). */
  code?: string;
}

function check(name: string, status: Status, detail: string, extra: { next?: string; code?: string } = {}): Check {
  return { name, ok: status !== 'fail', status, detail, ...extra };
}

/** Clock difference (either way) from which doctor warns, and from which it fails. */
const SKEW_WARN_MS = 60_000;
const SKEW_FAIL_MS = 5 * 60_000;

/** The provider the settings point at, also when MAIL_PROVIDER was left generic with a known host. */
function providerOf(c: Config): MailProvider {
  if (c.MAIL_PROVIDER !== 'generic') return c.MAIL_PROVIDER;
  const hosts = `${c.IMAP_HOST ?? ''} ${c.SMTP_HOST ?? ''} ${c.OAUTH_TOKEN_URL ?? ''}`;
  if (/office365\.com|outlook\.com|microsoftonline\.com/i.test(hosts)) return 'microsoft365';
  if (/gmail\.com|googleapis\.com|google\.com/i.test(hosts)) return 'google';
  return 'generic';
}

type Hints = Partial<Record<MailProvider, string>> & { generic: string };

/**
 * What to check next, per finding and provider: the rules as data, so a new
 * finding or a better sentence is one line here.
 */
const NEXT: Record<string, (c: Config) => Hints> = {
  OAUTH_INVALID_CLIENT: () => ({
    microsoft365:
      "check OAUTH_CLIENT_ID (the Application (client) ID) and OAUTH_CLIENT_SECRET: it must be the secret's Value, not its Secret ID, and not expired (Entra admin centre → App registrations → the app → Certificates & secrets); a disabled or deleted app must be enabled again or registered anew",
    google:
      'check OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET against Google Cloud console → APIs & Services → Credentials → the OAuth client; if the client was deleted, create one and a new refresh token (README, "Google Workspace")',
    generic:
      'check OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET with the provider: the client may have been disabled, deleted or given a new secret',
  }),
  OAUTH_CLIENT_NOT_FOUND: () => ({
    generic:
      "the app is not registered in this tenant: OAUTH_CLIENT_ID must be the Application (client) ID and OAUTH_TENANT the Directory (tenant) ID, both from the same app registration's Overview page",
  }),
  OAUTH_TENANT_NOT_FOUND: () => ({
    generic:
      "OAUTH_TENANT is wrong: use the Directory (tenant) ID shown on the app registration's Overview page (a GUID), or the organisation's domain (example.onmicrosoft.com)",
  }),
  OAUTH_CONSENT_MISSING: () => ({
    microsoft365:
      'an administrator must consent: Entra admin centre → App registrations → the app → API permissions → Grant admin consent for the organisation',
    generic:
      'the user or an administrator must consent to the permissions the desk asks for, then make a new refresh token',
  }),
  OAUTH_INVALID_GRANT: () => ({
    google:
      'the refresh token was revoked or has expired (a password change, someone removing the desk\'s access, six months unused, or 7 days while the OAuth consent screen is in "Testing"): make a new one (README, "Google Workspace") and set OAUTH_REFRESH_TOKEN',
    microsoft365:
      'the refresh token expired or was revoked: sign in again for a new one, or use app-only access (OAUTH_GRANT=client_credentials)',
    generic: 'the refresh token is no longer valid: make a new one and set OAUTH_REFRESH_TOKEN',
  }),
  OAUTH_UNAUTHORIZED_CLIENT: (c) => ({
    microsoft365: `the app may not use OAUTH_GRANT=${c.OAUTH_GRANT}: app-only access needs a client secret and OAUTH_GRANT=client_credentials`,
    generic: `the client may not use OAUTH_GRANT=${c.OAUTH_GRANT}; a refresh token must come from this same OAuth client`,
  }),
  OAUTH_UNSUPPORTED_GRANT: (c) => ({
    generic: `the endpoint does not offer OAUTH_GRANT=${c.OAUTH_GRANT}: check OAUTH_GRANT and OAUTH_TOKEN_URL`,
  }),
  OAUTH_INVALID_SCOPE: () => ({
    microsoft365: 'check OAUTH_SCOPE: app-only access wants https://outlook.office365.com/.default (leave it unset)',
    google:
      'check OAUTH_SCOPE: Gmail wants https://mail.google.com/ (leave it unset), and the refresh token must have been granted it',
    generic: 'check OAUTH_SCOPE against what the provider grants this client',
  }),
  OAUTH_REFUSED: () => ({
    generic: "check OAUTH_TOKEN_URL: it must be the provider's token endpoint; the detail says what it answered",
  }),
  OAUTH_BAD_RESPONSE: () => ({
    generic: "check OAUTH_TOKEN_URL: it must be the provider's token endpoint, not a sign-in page",
  }),
  OAUTH_ENDPOINT_UNREACHABLE: () => ({
    generic: 'check OAUTH_TOKEN_URL and the network path to it (DNS, firewall, proxy); the desk itself keeps retrying',
  }),
  OAUTH_ENDPOINT_UNAVAILABLE: () => ({
    generic: 'the token endpoint is having trouble; the desk keeps retrying with backoff. Run doctor again later',
  }),
  IMAP_TOKEN_REFUSED: (c) => ({
    microsoft365: `Exchange Online did not let the app open ${c.IMAP_USER}: give the app IMAP.AccessAsApp (API permissions → Office 365 Exchange Online → Application permissions) with admin consent, register its service principal in Exchange Online (New-ServicePrincipal -AppId <OAUTH_CLIENT_ID> -ObjectId <the Enterprise application's Object ID>) and give it the mailbox (Add-MailboxPermission -Identity ${c.IMAP_USER} -User <that Object ID> -AccessRights FullAccess); changes can take an hour to apply`,
    google: `Gmail refused the token for ${c.IMAP_USER}: the refresh token must have been made by ${c.IMAP_USER} with the https://mail.google.com/ scope, and IMAP must be allowed for the user (Admin console → Apps → Google Workspace → Gmail → End User Access)`,
    generic: `the server refused the access token for ${c.IMAP_USER}: the token must be for that mailbox and grant mail access`,
  }),
  IMAP_NO_OAUTH: () => ({
    generic: 'the server offers neither XOAUTH2 nor OAUTHBEARER: sign in with IMAP_AUTH=password',
  }),
  IMAP_LOGIN_FAILED: () => ({
    google:
      'Gmail takes a password only as an app password (2-Step Verification on, then myaccount.google.com → Security → App passwords); better, use MAIL_PROVIDER=google with OAuth',
    generic:
      "check IMAP_USER (on cPanel the whole address, e.g. info@example.org) and IMAP_PASSWORD (the mailbox's own password, cPanel → Email Accounts)",
  }),
  IMAP_UNREACHABLE: () => ({
    generic:
      'check IMAP_HOST, IMAP_PORT and IMAP_SECURE (993 with TLS, or 143 with IMAP_SECURE=false), and that this machine may connect there',
  }),
  MAILBOX_UNOPENABLE: () => ({ generic: 'check IMAP_MAILBOX: it must be a folder of this mailbox (INBOX by default)' }),
  NO_IDLE: () => ({
    generic:
      'the desk polls every IMAP_POLL_INTERVAL instead of hearing of new mail at once: lower IMAP_POLL_INTERVAL for quicker answers, or ask the host to turn IDLE on',
  }),
  NO_MOVE: () => ({
    generic:
      'nothing to do: mail is filed by COPY, then \\Deleted and UID EXPUNGE of that message alone; a server with MOVE files it in one step',
  }),
  NO_MOVE_NO_UIDPLUS: (c) => ({
    generic: `without MOVE or UIDPLUS, filing one message would EXPUNGE every message marked \\Deleted in ${c.IMAP_MAILBOX}, staff's too: ask the host to turn on MOVE or UIDPLUS (Dovecot, Gmail and Exchange Online have both) before starting the desk`,
  }),
  FOLDERS_CANNOT_CREATE: () => ({
    google:
      'create the labels by hand in Gmail (Settings → Labels → Create new label, nested under "Coalition"), with "Show in IMAP" ticked, or set FOLDER_PROCESSED/FOLDER_IGNORED/FOLDER_QUARANTINE to labels that exist',
    generic:
      'create the folders by hand (webmail), or set FOLDER_PROCESSED, FOLDER_IGNORED and FOLDER_QUARANTINE to folders that exist',
  }),
  CLOCK_SKEW: () => ({
    generic:
      "set this machine's clock right (timedatectl set-ntp true, or the container host's NTP): the Date of outgoing mail, DKIM signatures and PROCESS_SINCE follow it",
  }),
  SMTP_AUTH_DISABLED: (c) => ({
    microsoft365: `turn SMTP AUTH on for ${c.SMTP_USER}: Microsoft 365 admin centre → Users → Active users → ${c.SMTP_USER} → Mail → Manage email apps → tick Authenticated SMTP (or Set-CASMailbox -Identity ${c.SMTP_USER} -SmtpClientAuthenticationDisabled $false); when it is off for the whole organisation: Set-TransportConfig -SmtpClientAuthenticationDisabled $false`,
    generic: `the server has SMTP AUTH turned off for ${c.SMTP_USER}: turn it on in the host's admin panel`,
  }),
  SMTP_NO_AUTH: (c) => ({
    generic: `the server at SMTP_HOST:SMTP_PORT offers no ${c.SMTP_AUTH === 'oauth2' ? 'XOAUTH2 ' : ''}SMTP AUTH: check SMTP_HOST, SMTP_PORT and SMTP_SECURE (587 with STARTTLS, or 465 with SMTP_SECURE=true)${c.SMTP_AUTH === 'oauth2' ? ', or sign in with SMTP_AUTH=password' : ''}`,
  }),
  SMTP_TOKEN_REFUSED: (c) => ({
    microsoft365: `Exchange Online refused the token for ${c.SMTP_USER}: give the app SMTP.SendAsApp (Application permission) with admin consent, and its service principal the mailbox (Add-MailboxPermission … -AccessRights FullAccess, as for IMAP)`,
    google: `Gmail refused the token for ${c.SMTP_USER}: SMTP_USER must be the address that made the refresh token, and the token must grant https://mail.google.com/`,
    generic: `the server refused the access token for ${c.SMTP_USER}`,
  }),
  SMTP_APP_PASSWORD_REQUIRED: () => ({
    generic:
      'Gmail takes a password only as an app password (2-Step Verification on, then myaccount.google.com → Security → App passwords); better, use MAIL_PROVIDER=google with OAuth',
  }),
  SMTP_LOGIN_FAILED: () => ({
    generic:
      "check SMTP_USER and SMTP_PASSWORD (on cPanel: the whole address and the mailbox's password, port 465 with SMTP_SECURE=true or 587)",
  }),
  SMTP_UNREACHABLE: () => ({
    generic:
      'check SMTP_HOST, SMTP_PORT and SMTP_SECURE, and that outgoing connections to that port are allowed (many clouds block port 25; use 587 or 465)',
  }),
};

function nextFor(code: string, c: Config): string | undefined {
  const hints = NEXT[code]?.(c);
  if (!hints) return undefined;
  return hints[providerOf(c)] ?? hints.generic;
}

function finding(name: string, status: Exclude<Status, 'ok'>, code: string, detail: string, c: Config): Check {
  const next = nextFor(code, c);
  return check(name, status, detail, { code, ...(next ? { next } : {}) });
}

/** Redacts every configured secret, and every token doctor handled, from a message that came back from a server or library. */
function scrubber(config: Config, tokens: Set<string>): (message: string) => string {
  return (message: string) => {
    let out = message;
    for (const secret of [
      config.IMAP_PASSWORD,
      config.SMTP_PASSWORD,
      config.TOKEN_SECRET,
      config.OAUTH_CLIENT_SECRET,
      config.OAUTH_REFRESH_TOKEN,
      ...tokens,
    ]) {
      if (secret) out = out.split(secret).join('[secret]');
    }
    try {
      const u = new URL(config.REDIS_URL);
      if (u.password) out = out.split(u.password).join('[secret]');
    } catch {
      /* not a URL: nothing to hide */
    }
    return out.replace(/\s*\n\s*/g, ' ');
  };
}

/** An IMAP answer without its tag ("7 NO [X] …" → "NO [X] …"): the tag means nothing to the reader. */
function untagged(response: string): string {
  return response.replace(/^[A-Za-z0-9.]+ (?=(OK|NO|BAD)\b)/, '');
}

function redisTarget(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 6379}`;
}

async function checkRedis(config: Config, scrub: (s: string) => string): Promise<Check> {
  const r = new Redis(config.REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 3000,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    const info = await r.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    const policy = (await r.config('GET', 'maxmemory-policy').catch(() => [])) as string[];
    const evicting = policy[1] && policy[1] !== 'noeviction';
    return evicting
      ? check(
          'redis',
          'fail',
          `Redis ${version} at ${redisTarget(config.REDIS_URL)} has maxmemory-policy ${policy[1]}; BullMQ needs noeviction`,
          {
            code: 'REDIS_EVICTS',
            next: 'set maxmemory-policy noeviction (redis.conf, or CONFIG SET maxmemory-policy noeviction)',
          },
        )
      : check('redis', 'ok', `Redis ${version} at ${redisTarget(config.REDIS_URL)}`);
  } catch (err) {
    return check(
      'redis',
      'fail',
      `cannot reach Redis at ${redisTarget(config.REDIS_URL)}: ${scrub((err as Error).message)}`,
      {
        code: 'REDIS_UNREACHABLE',
        next: 'check REDIS_URL and that Redis is running',
      },
    );
  } finally {
    r.disconnect();
  }
}

async function checkToken(config: Config, source: TokenSource, scrub: (s: string) => string): Promise<Check> {
  try {
    const t = await source.renew();
    const minutes = Math.max(0, Math.round((t.refreshAt - Date.now()) / 60_000));
    return check(
      'oauth',
      'ok',
      `token endpoint ${source.endpoint} issued an access token (${source.grant}); the desk renews it in about ${minutes} min`,
    );
  } catch (err) {
    if (err instanceof OAuthError) return finding('oauth', 'fail', err.code, scrub(err.message), config);
    return finding(
      'oauth',
      'fail',
      'OAUTH_ENDPOINT_UNREACHABLE',
      `token endpoint ${source.endpoint}: ${scrub((err as Error).message)}`,
      config,
    );
  }
}

/** Our clock against the token endpoint's Date header (HTTP dates have whole seconds: a second either way is noise). */
function checkClock(config: Config, source: TokenSource | null): Check {
  if (!source || source.clockSkewMs === null) {
    return check(
      'clock',
      'skip',
      "not measured (only against a token endpoint's Date header); keep this machine's clock synchronised (NTP)",
    );
  }
  const skew = source.clockSkewMs;
  const s = Math.round(Math.abs(skew) / 1000);
  const way = skew > 0 ? 'behind' : 'ahead of';
  const detail = `this machine's clock is ${s} s ${way} ${source.endpoint}`;
  if (Math.abs(skew) >= SKEW_FAIL_MS) return finding('clock', 'fail', 'CLOCK_SKEW', detail, config);
  if (Math.abs(skew) >= SKEW_WARN_MS) return finding('clock', 'warn', 'CLOCK_SKEW', detail, config);
  return check('clock', 'ok', s <= 2 ? `within a second or two of ${source.endpoint}` : detail);
}

interface ImapResult {
  checks: Check[];
  client: ImapFlow | null;
}

/** Logs in as the service does; with OAuth a refused token is renewed once and tried again, as the watcher would. */
async function checkImap(
  config: Config,
  tokens: AccessTokens | undefined,
  scrub: (s: string) => string,
): Promise<ImapResult> {
  const where = `${config.IMAP_USER}@${config.IMAP_HOST}:${config.IMAP_PORT}`;
  const settings = { ...imapSettings(config), ...(tokens ? { tokens } : {}) };
  let lastErr: unknown = null;
  for (let attempt = 0; attempt < (tokens ? 2 : 1); attempt++) {
    // The very client the service uses, so what doctor proves is what runs.
    const client = createImapClient(settings, { socketTimeoutMs: 15_000, connectTimeoutMs: 10_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return { checks: [], client };
    } catch (err) {
      lastErr = err;
      client.close();
      if (!(tokens && isAuthRefusal(err))) break;
    }
  }
  const e = lastErr as Error & { authenticationFailed?: boolean; code?: string; response?: string };
  if (e instanceof OAuthError) {
    return { checks: [check('imap', 'skip', `not tried: no access token (${e.code}, see oauth)`)], client: null };
  }
  if (tokens && /Unsupported authentication mechanism/i.test(e.message)) {
    return {
      checks: [
        finding(
          'imap',
          'fail',
          'IMAP_NO_OAUTH',
          `the IMAP server at ${config.IMAP_HOST}:${config.IMAP_PORT} offers no OAuth sign-in (XOAUTH2 or OAUTHBEARER)`,
          config,
        ),
      ],
      client: null,
    };
  }
  if (e.authenticationFailed) {
    const said = e.response ? `: ${scrub(untagged(e.response))}` : '';
    return tokens
      ? {
          checks: [
            finding(
              'imap',
              'fail',
              'IMAP_TOKEN_REFUSED',
              `IMAP server refused the access token, also a renewed one, for ${where}${said}`,
              config,
            ),
          ],
          client: null,
        }
      : {
          checks: [
            finding(
              'imap',
              'fail',
              'IMAP_LOGIN_FAILED',
              `IMAP login failed (wrong user or password) for ${where}${said}`,
              config,
            ),
          ],
          client: null,
        };
  }
  return {
    checks: [
      finding(
        'imap',
        'fail',
        'IMAP_UNREACHABLE',
        `IMAP connection failed (${e.code ?? scrub(e.message)}) for ${where}`,
        config,
      ),
    ],
    client: null,
  };
}

async function checkSession(config: Config, client: ImapFlow, scrub: (s: string) => string): Promise<Check[]> {
  const checks: Check[] = [];
  const where = `${config.IMAP_USER}@${config.IMAP_HOST}:${config.IMAP_PORT}`;
  const how = config.IMAP_AUTH === 'oauth2' ? ' with an access token' : '';
  try {
    const status = await client.status(config.IMAP_MAILBOX, { messages: true });
    checks.push(
      check(
        'imap',
        'ok',
        `logged in as ${where}${how}; ${config.IMAP_MAILBOX} holds ${status ? (status.messages ?? 0) : 0} message(s)`,
      ),
    );
  } catch (err) {
    checks.push(
      finding(
        'imap',
        'fail',
        'MAILBOX_UNOPENABLE',
        `logged in as ${where}, but ${config.IMAP_MAILBOX} cannot be opened: ${scrub((err as Error).message)}`,
        config,
      ),
    );
  }
  const caps = client.capabilities;
  checks.push(
    caps.has('IDLE')
      ? check('idle', 'ok', 'IDLE: new mail is noticed as it arrives')
      : finding(
          'idle',
          'warn',
          'NO_IDLE',
          `no IDLE: the desk polls ${config.IMAP_MAILBOX} every ${Math.round(config.IMAP_POLL_INTERVAL / 1000)} s`,
          config,
        ),
  );
  const move = caps.has('MOVE');
  const uidplus = caps.has('UIDPLUS');
  checks.push(
    move
      ? check('move', 'ok', `MOVE${uidplus ? ' and UIDPLUS' : ''}: mail is filed with UID MOVE`)
      : uidplus
        ? finding(
            'move',
            'warn',
            'NO_MOVE',
            'no MOVE, but UIDPLUS: mail is filed by COPY, \\Deleted and UID EXPUNGE of that message alone',
            config,
          )
        : finding(
            'move',
            'fail',
            'NO_MOVE_NO_UIDPLUS',
            'neither MOVE nor UIDPLUS: filing a message would need a plain EXPUNGE of the whole mailbox',
            config,
          ),
  );
  checks.push(await checkFolders(config, client, scrub));
  return checks;
}

/**
 * The folders the desk files into. Missing ones are what the desk creates at
 * start, so doctor only proves it may: it creates a folder of its own and
 * deletes it again, and touches nothing else.
 */
async function checkFolders(config: Config, client: ImapFlow, scrub: (s: string) => string): Promise<Check> {
  const names = [config.FOLDER_PROCESSED, config.FOLDER_IGNORED, config.FOLDER_QUARANTINE];
  const gmail = providerOf(config) === 'google';
  const kind = gmail ? 'label' : 'folder';
  try {
    const ns = await namespaceOf(client);
    const existing = new Set((await client.list()).map((m) => m.path));
    const missing = [...new Set(names)].filter((n) => !existing.has(serverPath(n, ns)));
    const labels = gmail
      ? '; on Gmail these are labels, and filing a message under one takes it out of the INBOX, as Archive does'
      : '';
    if (missing.length === 0) return check('folders', 'ok', `${names.join(', ')} exist${labels}`);
    const probe = serverPath(`coalition-doctor-${randomBytes(4).toString('hex')}`, ns);
    try {
      await client.mailboxCreate(probe);
    } catch (err) {
      const e = err as Error & { response?: string };
      return finding(
        'folders',
        'fail',
        'FOLDERS_CANNOT_CREATE',
        `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing, and this account may not create a ${kind} (the server said: ${scrub(untagged(e.response ?? e.message))})`,
        config,
      );
    }
    await client.mailboxDelete(probe).catch(() => undefined);
    return check(
      'folders',
      'ok',
      `${missing.join(', ')} missing: the desk creates ${missing.length === 1 ? 'it' : 'them'} at start (this account may create ${kind}s)${labels}`,
    );
  } catch (err) {
    return finding(
      'folders',
      'fail',
      'FOLDERS_CANNOT_CREATE',
      `the ${kind}s cannot be listed: ${scrub((err as Error).message)}`,
      config,
    );
  }
}

async function checkSmtp(
  config: Config,
  tokens: AccessTokens | undefined,
  scrub: (s: string) => string,
): Promise<Check> {
  const transport = createSmtpTransport(config, tokens ? { tokens } : {});
  const where = `${config.SMTP_HOST}:${config.SMTP_PORT}`;
  try {
    await transport.verify();
    const how =
      config.SMTP_AUTH === 'oauth2'
        ? `our XOAUTH2 login as ${config.SMTP_USER}`
        : config.SMTP_AUTH === 'password'
          ? 'our login'
          : 'connections';
    return check('smtp', 'ok', `SMTP server at ${where} accepts ${how}`);
  } catch (err) {
    const e = err as Error & { code?: string; responseCode?: number; response?: string; cause?: unknown };
    const said = scrub(untagged(e.response ?? e.message));
    if (e.cause instanceof OAuthError)
      return check('smtp', 'skip', `not tried: no access token (${e.cause.code}, see oauth)`);
    if (e.code !== 'EAUTH')
      return finding(
        'smtp',
        'fail',
        'SMTP_UNREACHABLE',
        `SMTP connection failed (${e.code ?? said}) at ${where}`,
        config,
      );
    if (/5\.7\.139|SmtpClientAuthentication is disabled/i.test(said)) {
      return finding(
        'smtp',
        'fail',
        'SMTP_AUTH_DISABLED',
        `SMTP AUTH is disabled for ${config.SMTP_USER} at ${where}: ${said}`,
        config,
      );
    }
    if (e.responseCode !== undefined && e.responseCode >= 500 && e.responseCode <= 504) {
      return finding(
        'smtp',
        'fail',
        'SMTP_NO_AUTH',
        `the SMTP server at ${where} does not take AUTH${config.SMTP_AUTH === 'oauth2' ? ' XOAUTH2' : ''}: ${said}`,
        config,
      );
    }
    if (/5\.7\.9/.test(said))
      return finding('smtp', 'fail', 'SMTP_APP_PASSWORD_REQUIRED', `SMTP login refused at ${where}: ${said}`, config);
    return config.SMTP_AUTH === 'oauth2'
      ? finding(
          'smtp',
          'fail',
          'SMTP_TOKEN_REFUSED',
          `SMTP server refused the access token, also a renewed one, at ${where}: ${said}`,
          config,
        )
      : finding(
          'smtp',
          'fail',
          'SMTP_LOGIN_FAILED',
          `SMTP login failed (wrong user or password) at ${where}: ${said}`,
          config,
        );
  } finally {
    transport.close();
  }
}

/** Hands out the source's tokens and remembers each, so no message doctor prints can carry one. */
function recording(source: TokenSource, seen: Set<string>): AccessTokens {
  return {
    async get() {
      const t = await source.get();
      seen.add(t.accessToken);
      return t;
    },
    refused: (token) => source.refused(token),
  };
}

/** Runs every check; never throws for a failing server, only reports it. */
export async function runDoctor(env: Record<string, string | undefined> = process.env): Promise<Check[]> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    return [
      check('config', 'fail', (err as Error).message, {
        code: 'CONFIG_INVALID',
        next: 'fix the settings named above (.env.example describes each)',
      }),
    ];
  }
  const seen = new Set<string>();
  const scrub = scrubber(config, seen);
  const sign = [
    config.IMAP_AUTH === 'oauth2' ? 'IMAP by OAuth' : null,
    config.SMTP_AUTH === 'oauth2' ? 'SMTP by OAuth' : null,
  ].filter(Boolean);
  const checks: Check[] = [
    check(
      'config',
      'ok',
      `${config.COORDINATORS.length} coordinator(s), auth mode ${config.COORDINATOR_AUTH}${config.MAIL_PROVIDER !== 'generic' ? `, provider ${config.MAIL_PROVIDER}` : ''}${sign.length ? `, ${sign.join(' and ')}` : ''}`,
    ),
  ];
  checks.push(await checkRedis(config, scrub));
  if (!hasMailbox(config)) {
    checks.push(
      check('imap', 'fail', 'no mailbox configured (IMAP_HOST unset): `coalition start` would run the local sandbox', {
        code: 'NO_MAILBOX',
        next: 'set MAIL_PROVIDER, or IMAP_HOST and the rest (README, "Real mailboxes")',
      }),
    );
    return checks;
  }
  const oauth = config.IMAP_AUTH === 'oauth2' || config.SMTP_AUTH === 'oauth2';
  const source = oauth ? tokenSourceFor(config) : null;
  const tokens = source ? recording(source, seen) : undefined;
  if (source) checks.push(await checkToken(config, source, scrub));
  checks.push(checkClock(config, source));
  const imap = await checkImap(config, config.IMAP_AUTH === 'oauth2' ? tokens : undefined, scrub);
  checks.push(...imap.checks);
  if (imap.client) {
    try {
      checks.push(...(await checkSession(config, imap.client, scrub)));
    } finally {
      await imap.client.logout().catch(() => undefined);
    }
  } else {
    for (const name of ['idle', 'move', 'folders']) checks.push(check(name, 'skip', 'not checked: no IMAP session'));
  }
  checks.push(await checkSmtp(config, config.SMTP_AUTH === 'oauth2' ? tokens : undefined, scrub));
  return checks;
}

const LABEL: Record<Status, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function formatChecks(checks: Check[]): string {
  return checks
    .map(
      (c) =>
        `${LABEL[c.status]} ${c.name.padEnd(7)} ${c.detail}\n${c.next ? `${' '.repeat(13)}next: ${c.next}\n` : ''}`,
    )
    .join('');
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check the settings and the sign-in to Redis, the token endpoint, IMAP and SMTP, saying what to check next for each problem; exits 1 when any check fails',
    )
    .option(
      '--json',
      'print the findings as one JSON object: {"ok": …, "checks": [{name, status, ok, detail, next?, code?}]}',
    )
    .action(async (opts: { json?: boolean }) => {
      const checks = await runDoctor();
      const failed = checks.filter((c) => !c.ok);
      if (opts.json) printJsonLine({ ok: failed.length === 0, checks });
      else process.stdout.write(formatChecks(checks));
      if (failed.length) {
        if (!opts.json)
          process.stderr.write(
            `coalition: doctor found ${failed.length} problem(s): ${failed.map((c) => c.name).join(', ')}\n`,
          );
        process.exitCode = 1;
      }
    });
}
