import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../config/load.ts';
import { configuresMailbox, hasMailbox } from '../../../config/schema.ts';

const NO_FILE = '/nonexistent/.env';
const minimal = { COALITION_ADDRESS: 'info@example.org', COORDINATORS: 'ana@example.org' };
const google = {
  ...minimal,
  MAIL_PROVIDER: 'google',
  OAUTH_CLIENT_ID: 'desk.apps.example',
  OAUTH_CLIENT_SECRET: 'g-secret',
  OAUTH_REFRESH_TOKEN: '1//refresh',
};
const TENANT = '11111111-2222-3333-4444-555555555555';
const m365 = {
  ...minimal,
  MAIL_PROVIDER: 'microsoft365',
  OAUTH_TENANT: TENANT,
  OAUTH_CLIENT_ID: 'app-id',
  OAUTH_CLIENT_SECRET: 'm-secret',
};

function rejection(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, NO_FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the configuration to be rejected');
}
const problemsOf = (env: Record<string, string>) =>
  rejection(env)
    .problems.map((p) => p.variable)
    .sort();

function secretFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
  const path = join(dir, 'secret');
  writeFileSync(path, text);
  return path;
}

describe('MAIL_PROVIDER=google', () => {
  it("fills in Gmail's hosts, TLS ports, XOAUTH2 on both sides, the token endpoint, the grant and the Gmail scope", () => {
    const c = loadConfig(google, NO_FILE);
    expect(c).toMatchObject({
      IMAP_HOST: 'imap.gmail.com',
      IMAP_PORT: 993,
      IMAP_SECURE: true,
      SMTP_HOST: 'smtp.gmail.com',
      SMTP_PORT: 465,
      SMTP_SECURE: true,
      IMAP_AUTH: 'oauth2',
      SMTP_AUTH: 'oauth2',
      OAUTH_TOKEN_URL: 'https://oauth2.googleapis.com/token',
      OAUTH_GRANT: 'refresh_token',
      OAUTH_SCOPE: 'https://mail.google.com/',
    });
    expect(hasMailbox(c)).toBe(true);
  });

  it('signs in as the coalition address on both sides unless told otherwise', () => {
    const c = loadConfig(google, NO_FILE);
    expect(c.IMAP_USER).toBe('info@example.org');
    expect(c.SMTP_USER).toBe('info@example.org');
    expect(loadConfig({ ...google, IMAP_USER: 'desk@example.org' }, NO_FILE).SMTP_USER).toBe('desk@example.org');
  });

  it('lets every value the operator sets win over the preset', () => {
    const c = loadConfig({ ...google, SMTP_PORT: '587', SMTP_SECURE: 'false', IMAP_HOST: '127.0.0.1' }, NO_FILE);
    expect(c.SMTP_PORT).toBe(587);
    expect(c.SMTP_SECURE).toBe(false);
    expect(c.IMAP_HOST).toBe('127.0.0.1');
    expect(c.SMTP_HOST).toBe('smtp.gmail.com');
  });

  it('takes an app password instead, when IMAP_AUTH and SMTP_AUTH say password', () => {
    const c = loadConfig(
      {
        ...minimal,
        MAIL_PROVIDER: 'google',
        IMAP_AUTH: 'password',
        IMAP_PASSWORD: 'abcd efgh ijkl mnop',
        SMTP_AUTH: 'password',
        SMTP_PASSWORD: 'abcd efgh ijkl mnop',
      },
      NO_FILE,
    );
    expect(c.IMAP_AUTH).toBe('password');
    expect(c.SMTP_AUTH).toBe('password');
    expect(c.SMTP_USER).toBe('info@example.org');
    expect(c.OAUTH_SCOPE).toBeUndefined();
  });

  it('refuses client_credentials, which Gmail does not take, and a missing refresh token, naming the README', () => {
    const { problems } = rejection({ ...google, OAUTH_REFRESH_TOKEN: '', OAUTH_GRANT: 'client_credentials' });
    expect(problems.find((p) => p.variable === 'OAUTH_GRANT')?.message).toMatch(
      /Gmail takes only user tokens; use refresh_token/,
    );
    expect(problemsOf({ ...google, OAUTH_REFRESH_TOKEN: '' })).toEqual(['OAUTH_REFRESH_TOKEN']);
  });
});

describe('MAIL_PROVIDER=microsoft365', () => {
  it("fills in Exchange Online's hosts (SMTP on 587 with STARTTLS), app-only sign-in and the tenant's token URL", () => {
    const c = loadConfig(m365, NO_FILE);
    expect(c).toMatchObject({
      IMAP_HOST: 'outlook.office365.com',
      IMAP_PORT: 993,
      IMAP_SECURE: true,
      SMTP_HOST: 'smtp.office365.com',
      SMTP_PORT: 587,
      SMTP_SECURE: false,
      IMAP_AUTH: 'oauth2',
      SMTP_AUTH: 'oauth2',
      OAUTH_GRANT: 'client_credentials',
      OAUTH_SCOPE: 'https://outlook.office365.com/.default',
      OAUTH_TOKEN_URL: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
    });
  });

  it('asks for the delegated IMAP and SMTP permissions with a refresh token', () => {
    const c = loadConfig({ ...m365, OAUTH_REFRESH_TOKEN: 'M.R3_refresh' }, NO_FILE);
    expect(c.OAUTH_GRANT).toBe('refresh_token');
    expect(c.OAUTH_SCOPE).toBe(
      'https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access',
    );
  });

  it('names a missing tenant, client id and secret, and a bad port, in one message', () => {
    const e = rejection({ ...minimal, MAIL_PROVIDER: 'microsoft365', SMTP_PORT: 'x' });
    expect(e.problems.map((p) => p.variable).sort()).toEqual([
      'OAUTH_CLIENT_ID',
      'OAUTH_CLIENT_SECRET',
      'OAUTH_TENANT',
      'SMTP_PORT',
    ]);
    expect(e.message).toMatch(/OAUTH_TENANT is required with MAIL_PROVIDER=microsoft365: the Directory \(tenant\) ID/);
  });

  it('refuses a tenant that would change the token URL, and common/organizations for app-only sign-in', () => {
    expect(problemsOf({ ...m365, OAUTH_TENANT: '../evil' })).toEqual(['OAUTH_TENANT']);
    expect(rejection({ ...m365, OAUTH_TENANT: 'common' }).message).toMatch(
      /app-only sign-in needs your own tenant's ID/,
    );
  });

  it('refuses a password for IMAP, which Microsoft 365 no longer accepts', () => {
    expect(rejection({ ...m365, IMAP_AUTH: 'password', IMAP_PASSWORD: 'pw' }).message).toMatch(
      /IMAP_AUTH cannot be password with MAIL_PROVIDER=microsoft365/,
    );
  });
});

describe('OAuth settings without a preset', () => {
  const generic = {
    ...minimal,
    IMAP_HOST: 'imap.example.org',
    IMAP_USER: 'info@example.org',
    IMAP_AUTH: 'oauth2',
    SMTP_HOST: 'smtp.example.org',
    SMTP_AUTH: 'oauth2',
    OAUTH_TOKEN_URL: 'https://login.example.org/token',
    OAUTH_CLIENT_ID: 'desk',
    OAUTH_CLIENT_SECRET: 's3cret',
  };

  it('defaults to client_credentials with the Microsoft .default scope, and signs SMTP in as IMAP_USER', () => {
    const c = loadConfig(generic, NO_FILE);
    expect(c.OAUTH_GRANT).toBe('client_credentials');
    expect(c.OAUTH_SCOPE).toBe('https://outlook.office365.com/.default');
    expect(c.SMTP_USER).toBe('info@example.org');
  });

  it('needs no IMAP_PASSWORD with oauth2, and refuses a leftover one rather than ignoring it', () => {
    expect(problemsOf({ ...generic, IMAP_PASSWORD: 'old', SMTP_PASSWORD: 'old' })).toEqual([
      'IMAP_PASSWORD',
      'SMTP_PASSWORD',
    ]);
  });

  it('requires https for the token endpoint, except on this machine', () => {
    expect(problemsOf({ ...generic, OAUTH_TOKEN_URL: 'http://login.example.org/token' })).toEqual(['OAUTH_TOKEN_URL']);
    expect(loadConfig({ ...generic, OAUTH_TOKEN_URL: 'http://127.0.0.1:8080/token' }, NO_FILE).OAUTH_TOKEN_URL).toBe(
      'http://127.0.0.1:8080/token',
    );
  });

  it('names OAuth settings that nothing would read', () => {
    expect(problemsOf({ ...minimal, OAUTH_CLIENT_ID: 'desk' })).toEqual(['OAUTH_CLIENT_ID']);
  });

  it('keeps the old rules for password sign-in: SMTP_USER alone means password, and wants SMTP_PASSWORD', () => {
    const c = loadConfig({ ...minimal, SMTP_HOST: 'smtp.example.org', SMTP_USER: 'u', SMTP_PASSWORD: 'p' }, NO_FILE);
    expect(c.SMTP_AUTH).toBe('password');
    expect(loadConfig(minimal, NO_FILE).SMTP_AUTH).toBe('none');
    expect(rejection({ ...minimal, SMTP_USER: 'u' }).message).toMatch(
      /SMTP_PASSWORD SMTP_USER and SMTP_PASSWORD go together/,
    );
  });

  it('is not a sandbox once a provider is named, even without IMAP_HOST', () => {
    expect(configuresMailbox({ MAIL_PROVIDER: 'google' })).toBe(true);
    expect(configuresMailbox({ MAIL_PROVIDER: 'generic' })).toBe(false);
    expect(configuresMailbox({})).toBe(false);
  });
});

describe('secrets from files (*_FILE)', () => {
  it('reads a secret from its file, without the newline the file ends in', () => {
    const c = loadConfig(
      { ...m365, OAUTH_CLIENT_SECRET: '', OAUTH_CLIENT_SECRET_FILE: secretFile('from-a-file\n') },
      NO_FILE,
    );
    expect(c.OAUTH_CLIENT_SECRET).toBe('from-a-file');
    const g = loadConfig(
      { ...google, OAUTH_REFRESH_TOKEN: '', OAUTH_REFRESH_TOKEN_FILE: secretFile('1//from-file') },
      NO_FILE,
    );
    expect(g.OAUTH_REFRESH_TOKEN).toBe('1//from-file');
    expect(g.OAUTH_GRANT).toBe('refresh_token');
    const p = loadConfig(
      { ...minimal, IMAP_HOST: 'h', IMAP_USER: 'u', SMTP_HOST: 's', IMAP_PASSWORD_FILE: secretFile('pw\r\n') },
      NO_FILE,
    );
    expect(p.IMAP_PASSWORD).toBe('pw');
  });

  it('reports an unreadable file, an empty one and a secret set both ways with every other problem, without the secret', () => {
    const e = rejection({
      ...m365,
      OAUTH_CLIENT_SECRET: 'visible-secret-value',
      OAUTH_CLIENT_SECRET_FILE: secretFile('other'),
      TOKEN_SECRET_FILE: '/nonexistent/token-secret',
      REDIS_URL_FILE: secretFile('\n'),
      IMAP_PORT: 'x',
    });
    expect(e.problems.map((p) => p.variable).sort()).toEqual([
      'IMAP_PORT',
      'OAUTH_CLIENT_SECRET_FILE',
      'REDIS_URL_FILE',
      'TOKEN_SECRET_FILE',
    ]);
    expect(e.message).toMatch(/OAUTH_CLIENT_SECRET_FILE set OAUTH_CLIENT_SECRET or OAUTH_CLIENT_SECRET_FILE, not both/);
    expect(e.message).toMatch(/TOKEN_SECRET_FILE names a file that cannot be read \(ENOENT\)/);
    expect(e.message).toMatch(/REDIS_URL_FILE names an empty file/);
    expect(e.message).not.toContain('visible-secret-value');
  });
});
