import { appendFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../harness/cli.ts';
import { imapAs } from '../../harness/mailbox.ts';
import { startOAuthStack, type OAuthStack } from '../../harness/oauth.ts';
import { INFO, startStack, type Stack } from '../../harness/stack.ts';
import { TENANT } from '../../harness/token-server.ts';

/**
 * `coalition doctor` against the real servers, one failure at a time: each
 * must be named, with what to check next, and nothing secret printed.
 * With DOCTOR_TRANSCRIPT=file the outputs are appended there (for the notes
 * of a change); nothing is written otherwise.
 */

let stack: OAuthStack;

async function doctor(title: string, env: Record<string, string>, args: string[] = []): Promise<CliResult> {
  const r = await runCli(['doctor', ...args], env);
  const file = process.env.DOCTOR_TRANSCRIPT;
  if (file)
    appendFileSync(
      file,
      `### ${title}\n$ coalition doctor ${args.join(' ')}\n${r.stdout}${r.stderr}(exit ${r.code})\n\n`,
    );
  const secrets = [
    ...stack.tokens.secrets(),
    ...['IMAP_PASSWORD', 'SMTP_PASSWORD', 'TOKEN_SECRET', 'OAUTH_CLIENT_SECRET', 'OAUTH_REFRESH_TOKEN'].map(
      (k) => env[k] ?? '',
    ),
  ];
  for (const secret of secrets.filter(Boolean)) expect(r.stdout + r.stderr).not.toContain(secret);
  return r;
}

/** The line of a check, and the "next:" line under it when there is one. */
function lineOf(r: CliResult, name: string): { status: string; detail: string; next: string | null } {
  const lines = r.stdout.split('\n');
  const i = lines.findIndex((l) => new RegExp(`^(ok  |WARN|FAIL|skip) ${name}\\s`).test(l));
  if (i < 0) throw new Error(`no ${name} line in:\n${r.stdout}`);
  const line = lines[i] ?? '';
  const next = /^\s+next: (.*)$/.exec(lines[i + 1] ?? '')?.[1] ?? null;
  return { status: line.slice(0, 4).trim(), detail: line.slice(5 + name.length).trim(), next };
}

beforeAll(async () => {
  stack = await startOAuthStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('coalition doctor with OAuth', () => {
  it.each(['client_credentials', 'refresh_token'] as const)(
    'finds nothing wrong with a working %s setup, and --json says the same as data',
    async (grant) => {
      const env = stack.envFor(grant);
      const r = await doctor(`healthy (${grant})`, env);
      expect(r.code).toBe(0);
      for (const name of ['config', 'redis', 'oauth', 'clock', 'imap', 'idle', 'move', 'folders', 'smtp'])
        expect(lineOf(r, name).status).toBe('ok');
      expect(lineOf(r, 'imap').detail).toMatch(/^logged in as info@example\.org@127\.0\.0\.1:\d+ with an access token/);
      expect(lineOf(r, 'smtp').detail).toMatch(/accepts our XOAUTH2 login as info@example\.org/);
      expect(lineOf(r, 'folders').detail).toMatch(
        /missing: the desk creates them at start \(this account may create (folders|labels)\)/,
      );
      if (grant === 'refresh_token') expect(lineOf(r, 'folders').detail).toMatch(/on Gmail these are labels/);
      const j = await runCli(['doctor', '--json'], env);
      expect(j.code).toBe(0);
      const data = JSON.parse(j.stdout) as { ok: boolean; checks: { name: string; status: string; ok: boolean }[] };
      expect(data.ok).toBe(true);
      expect(data.checks.map((c) => [c.name, c.status])).toEqual(
        r.stdout
          .split('\n')
          .filter((l) => /^(ok {2}|WARN|FAIL|skip) /.test(l))
          .map((l) => [l.slice(5).split(/\s+/)[0], l.slice(0, 4).trim().toLowerCase()]),
      );
    },
  );

  it('reports a revoked (disabled) app clearly: the token endpoint refused it, what to do, and why IMAP and SMTP were not tried', async () => {
    const app = stack.tokens.addClient({ id: 'revoked-app', tenant: TENANT, mailbox: INFO });
    stack.tokens.revokeClient(app.id);
    const r = await doctor(
      'revoked client (Microsoft 365, client_credentials)',
      stack.envFor('client_credentials', { OAUTH_CLIENT_ID: app.id, OAUTH_CLIENT_SECRET: app.secret }),
    );
    expect(r.code).toBe(1);
    const oauth = lineOf(r, 'oauth');
    expect(oauth.status).toBe('FAIL');
    expect(oauth.detail).toMatch(
      /refused the client_credentials grant \(unauthorized_client: AADSTS7000112: Application 'revoked-app' is disabled\.\)/,
    );
    expect(oauth.next).toMatch(/disabled or deleted app must be enabled again or registered anew/);
    expect(lineOf(r, 'imap')).toMatchObject({
      status: 'skip',
      detail: 'not tried: no access token (OAUTH_INVALID_CLIENT, see oauth)',
    });
    expect(lineOf(r, 'smtp')).toMatchObject({
      status: 'skip',
      detail: 'not tried: no access token (OAUTH_INVALID_CLIENT, see oauth)',
    });
    // The refusal still carried the endpoint's clock.
    expect(lineOf(r, 'clock').status).toBe('ok');
    const j = JSON.parse(
      (
        await runCli(
          ['doctor', '--json'],
          stack.envFor('client_credentials', { OAUTH_CLIENT_ID: app.id, OAUTH_CLIENT_SECRET: app.secret }),
        )
      ).stdout,
    ) as {
      ok: boolean;
      checks: { name: string; code?: string; next?: string }[];
    };
    expect(j.ok).toBe(false);
    expect(j.checks.find((c) => c.name === 'oauth')).toMatchObject({ code: 'OAUTH_INVALID_CLIENT', next: oauth.next });
  });

  it('reports a revoked refresh token (Google) and says how to make a new one', async () => {
    const rt = stack.tokens.addRefreshToken(stack.google.id, INFO);
    stack.tokens.revokeRefreshToken(rt);
    const r = await doctor(
      'revoked refresh token (Google)',
      stack.envFor('refresh_token', { OAUTH_REFRESH_TOKEN: rt }),
    );
    expect(r.code).toBe(1);
    expect(lineOf(r, 'oauth')).toMatchObject({
      status: 'FAIL',
      detail: expect.stringMatching(/invalid_grant: Token has been expired or revoked\./),
    });
    expect(lineOf(r, 'oauth').next).toMatch(
      /make a new one \(README, "Google Workspace"\) and set OAUTH_REFRESH_TOKEN/,
    );
  });

  it('names a wrong tenant, a wrong client id and a wrong secret apart', async () => {
    const tenant = await doctor(
      'wrong tenant',
      stack.envFor('client_credentials', { OAUTH_TENANT: '00000000-0000-0000-0000-000000000000' }),
    );
    expect(lineOf(tenant, 'oauth').detail).toMatch(
      /AADSTS90002: Tenant '00000000-0000-0000-0000-000000000000' not found/,
    );
    expect(lineOf(tenant, 'oauth').next).toMatch(/^OAUTH_TENANT is wrong: use the Directory \(tenant\) ID/);
    const client = await doctor(
      'unknown client id',
      stack.envFor('client_credentials', { OAUTH_CLIENT_ID: 'not-registered' }),
    );
    expect(lineOf(client, 'oauth').next).toMatch(/^the app is not registered in this tenant/);
    const secret = await doctor(
      'wrong client secret',
      stack.envFor('client_credentials', { OAUTH_CLIENT_SECRET: 'wrong-secret-value' }),
    );
    expect(lineOf(secret, 'oauth').detail).toMatch(/AADSTS7000215: Invalid client secret provided/);
    expect(lineOf(secret, 'oauth').next).toMatch(/the secret's Value, not its Secret ID/);
    expect(secret.stdout).not.toContain('wrong-secret-value');
  });

  it('names missing consent', async () => {
    const app = stack.tokens.addClient({ id: 'unconsented-app', tenant: TENANT, consent: false });
    const rt = stack.tokens.addRefreshToken(app.id, INFO);
    const r = await doctor(
      'consent missing (Microsoft 365, delegated)',
      stack.envFor('client_credentials', {
        OAUTH_CLIENT_ID: app.id,
        OAUTH_CLIENT_SECRET: app.secret,
        OAUTH_REFRESH_TOKEN: rt,
      }),
    );
    expect(lineOf(r, 'oauth').detail).toMatch(/AADSTS65001/);
    expect(lineOf(r, 'oauth').next).toMatch(/Grant admin consent/);
  });

  it('says the mailbox permission is missing when IMAP and SMTP refuse a token the endpoint gave', async () => {
    const app = stack.tokens.addClient({ id: 'app-without-mailbox', tenant: TENANT });
    const r = await doctor(
      'IMAP and SMTP refuse the token (no mailbox permission)',
      stack.envFor('client_credentials', { OAUTH_CLIENT_ID: app.id, OAUTH_CLIENT_SECRET: app.secret }),
    );
    expect(r.code).toBe(1);
    expect(lineOf(r, 'oauth').status).toBe('ok');
    const imap = lineOf(r, 'imap');
    expect(imap).toMatchObject({
      status: 'FAIL',
      detail: expect.stringMatching(
        /IMAP server refused the access token, also a renewed one, for info@example\.org@.*: NO \[AUTHENTICATIONFAILED\]/,
      ),
    });
    expect(imap.next).toMatch(
      /IMAP\.AccessAsApp .*New-ServicePrincipal .*Add-MailboxPermission -Identity info@example\.org/,
    );
    expect(lineOf(r, 'smtp')).toMatchObject({ status: 'FAIL', next: expect.stringMatching(/SMTP\.SendAsApp/) });
    // Each side asked once more with a new token before giving up.
    expect(
      stack.tokens.requests.filter((q) => q.clientId === app.id && q.error === null).length,
    ).toBeGreaterThanOrEqual(3);
  });

  it('says SMTP AUTH is disabled for the mailbox, and where to turn it on', async () => {
    stack.smtp.authDisabled.add(INFO);
    try {
      const r = await doctor('SMTP AUTH disabled for the mailbox (Microsoft 365)', stack.envFor('client_credentials'));
      expect(r.code).toBe(1);
      const smtp = lineOf(r, 'smtp');
      expect(smtp).toMatchObject({
        status: 'FAIL',
        detail: expect.stringMatching(/SMTP AUTH is disabled for info@example\.org .*5\.7\.139/),
      });
      expect(smtp.next).toMatch(
        /Manage email apps → tick Authenticated SMTP .*Set-CASMailbox -Identity info@example\.org -SmtpClientAuthenticationDisabled \$false/,
      );
      expect(lineOf(r, 'imap').status).toBe('ok');
    } finally {
      stack.smtp.authDisabled.delete(INFO);
    }
  });

  it('warns about a clock a minute and a half off, and fails one ten minutes off', async () => {
    try {
      stack.tokens.clockOffsetMs = 90_000;
      const warn = await doctor('clock 90 s behind the token endpoint', stack.envFor('client_credentials'));
      expect(warn.code).toBe(0);
      expect(lineOf(warn, 'clock')).toMatchObject({
        status: 'WARN',
        detail: expect.stringMatching(/clock is (89|90|91) s behind 127\.0\.0\.1:\d+/),
      });
      stack.tokens.clockOffsetMs = -600_000;
      const fail = await doctor('clock 10 minutes ahead of the token endpoint', stack.envFor('client_credentials'));
      expect(fail.code).toBe(1);
      expect(lineOf(fail, 'clock')).toMatchObject({
        status: 'FAIL',
        detail: expect.stringMatching(/clock is (599|600|601) s ahead of/),
        next: expect.stringMatching(/timedatectl set-ntp true/),
      });
    } finally {
      stack.tokens.clockOffsetMs = 0;
    }
  });

  it('says when the folders are missing and may not be created', async () => {
    // Log in once so the mailbox exists, then take the right to create folders away.
    const c = imapAs(stack.dovecot, INFO);
    await c.connect();
    await c.logout();
    const root = join(stack.dovecot.mailDir, 'example.org', 'info', 'Maildir');
    chmodSync(root, 0o555);
    try {
      const r = await doctor('folders missing and cannot be created', stack.envFor('refresh_token'));
      expect(r.code).toBe(1);
      const folders = lineOf(r, 'folders');
      expect(folders).toMatchObject({
        status: 'FAIL',
        detail: expect.stringMatching(
          /^Coalition\/Processed, Coalition\/Ignored, Coalition\/Quarantine are missing, and this account may not create a label/,
        ),
      });
      expect(folders.next).toMatch(/Show in IMAP/);
    } finally {
      chmodSync(root, 0o777);
    }
  });
});

describe('coalition doctor on an old password server (a cPanel-like host)', () => {
  let old: Stack;
  beforeAll(async () => {
    old = await startStack({ dovecot: { withoutCapabilities: ['IDLE', 'MOVE', 'UIDPLUS'] } });
  });
  afterAll(async () => {
    await old?.stop();
  });

  it('warns that there is no IDLE and fails on neither MOVE nor UIDPLUS, each with what to do', async () => {
    const r = await doctor('no IDLE, no MOVE, no UIDPLUS (password sign-in)', old.env);
    expect(r.code).toBe(1);
    expect(lineOf(r, 'imap').status).toBe('ok');
    expect(lineOf(r, 'clock').status).toBe('skip');
    expect(lineOf(r, 'idle')).toMatchObject({
      status: 'WARN',
      detail: 'no IDLE: the desk polls INBOX every 2 s',
      next: expect.stringMatching(/lower IMAP_POLL_INTERVAL/),
    });
    expect(lineOf(r, 'move')).toMatchObject({
      status: 'FAIL',
      next: expect.stringMatching(/would EXPUNGE every message marked \\Deleted in INBOX, staff's too/),
    });
  });
});
