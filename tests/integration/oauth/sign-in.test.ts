import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../config/schema.ts';
import { createSmtpTransport } from '../../../src/adapters/smtp/transport.ts';
import { startWatcher, type RunningWatcher } from '../../../workers/watcher.ts';
import { configOf, killImapSessions, mail, memoryLogger, testTriage, waitUntil } from '../../harness/ingest.ts';
import { deliver, waitForMessages } from '../../harness/mailbox.ts';
import { startOAuthStack, type Grant, type OAuthStack } from '../../harness/oauth.ts';
import { COORDINATOR_A, INFO } from '../../harness/stack.ts';

/**
 * The desk signing in to a real Dovecot (oauth2 passdb) and a real SMTP server
 * with access tokens from the test token server, for each grant: the
 * Microsoft 365 preset with client_credentials, the Google preset with a
 * refresh token. Nothing of IMAP, SMTP or HTTP is mocked.
 */
describe.each<[Grant, string]>([
  ['client_credentials', 'Microsoft 365 app-only'],
  ['refresh_token', 'Google refresh token'],
])('signing in with %s (%s)', (grant) => {
  let stack: OAuthStack;
  let config: Config;
  let w: RunningWatcher;
  const { logger, lines } = memoryLogger('debug');
  let filed = 0;
  const clientId = () => (grant === 'client_credentials' ? stack.app.id : stack.google.id);
  const tokenRequests = () => stack.tokens.requests.filter((r) => r.clientId === clientId());
  const connections = () => lines.filter((l) => l.msg === 'connected to the mailbox').length;

  async function deliverAndWaitFiled(subject: string): Promise<void> {
    const before = filed;
    await deliver(stack.dovecot, INFO, mail({ subject }));
    await waitUntil(() => filed > before, 15_000, `"${subject}" filed`);
  }

  beforeAll(async () => {
    stack = await startOAuthStack();
    config = configOf(stack, stack.envFor(grant));
    w = await startWatcher({
      config,
      redis: stack.redis,
      logger,
      triage: testTriage,
      tuning: { backoff: { baseMs: 100, maxMs: 500, jitter: 0 } },
    });
    w.watcher.on('filed', () => void (filed += 1));
    await new Promise<void>((r) => w.watcher.once('connected', r));
  });
  afterAll(async () => {
    await w?.close();
    await stack?.stop();
  });

  it('logs in to IMAP with XOAUTH2 and an access token the server checked, and files new mail', async () => {
    expect(config.IMAP_AUTH).toBe('oauth2');
    expect(stack.dovecot.log()).toMatch(/Login: user=<info@example\.org>, method=XOAUTH2/);
    const token = stack.tokens.last(clientId());
    expect(token?.grant).toBe(grant);
    expect(stack.tokens.introspections.filter((i) => i.token === token?.token && i.active)).not.toHaveLength(0);
    await deliverAndWaitFiled('Request to join, by OAuth');
  });

  it('sends through SMTP with XOAUTH2, the capture checking the token with the same server, on the token IMAP already has', async () => {
    const requests = tokenRequests().length;
    const tx = createSmtpTransport(config);
    try {
      await tx.sendMail({ from: INFO, to: COORDINATOR_A, subject: `Sent by OAuth (${grant})`, text: 'Po.' });
    } finally {
      tx.close();
    }
    expect(stack.smtp.authAttempts.at(-1)).toEqual({ method: 'XOAUTH2', user: INFO, ok: true });
    await waitForMessages(stack.dovecot, COORDINATOR_A, { match: (m) => m.subject === `Sent by OAuth (${grant})` });
    expect(tokenRequests()).toHaveLength(requests);
  });

  it('survives its token expiring mid-session: the server ends the session, and IDLE reconnects with one new token', async () => {
    const old = stack.tokens.last(clientId());
    const requests = tokenRequests().length;
    const sessions = connections();
    // Exchange Online ends a session whose token expired ("BYE … AccessTokenExpired"); Dovecot never does, so the test does.
    stack.tokens.expire(old?.token);
    killImapSessions(stack);
    await waitUntil(() => connections() > sessions, 15_000, 'the watcher back in the mailbox');
    // The token cached for another hour was refused once, and exactly one new one was asked for.
    expect(stack.tokens.introspections.filter((i) => i.token === old?.token && !i.active)).toHaveLength(1);
    expect(tokenRequests()).toHaveLength(requests + 1);
    expect(stack.tokens.last(clientId())?.token).not.toBe(old?.token);
    await deliverAndWaitFiled('Arrived after the token expired');
  });

  it('renews once after an SMTP refusal, whether the server answers with an XOAUTH2 challenge (Gmail) or a plain 535 (Exchange)', async () => {
    for (const refusal of ['challenge', 'reject'] as const) {
      stack.smtpOAuth.refusal = refusal;
      // A fresh token, then killed at the server: the desk still believes in it.
      stack.tokens.expire();
      const tx = createSmtpTransport(config);
      const requests = tokenRequests().length;
      const attempts = stack.smtp.authAttempts.length;
      try {
        await tx.sendMail({ from: INFO, to: COORDINATOR_A, subject: `After a ${refusal} refusal`, text: 'Po.' });
      } finally {
        tx.close();
      }
      expect(stack.smtp.authAttempts.slice(attempts).map((a) => a.ok)).toEqual([false, true]);
      expect(tokenRequests()).toHaveLength(requests + 1);
    }
    stack.smtpOAuth.refusal = 'challenge';
  });

  it('renews a token shortly before it expires, so neither IMAP nor SMTP ever offers a dead one', async () => {
    stack.tokens.lifetimeSec = 3;
    // The next token lives 3 s: get one by ending the current one.
    stack.tokens.expire();
    const sessions = connections();
    killImapSessions(stack);
    await waitUntil(() => connections() > sessions, 15_000, 'reconnected with a 3 s token');
    const short = stack.tokens.last(clientId());
    expect(short && short.expiresAt - short.issuedAt).toBe(3000);
    const refusedBefore = stack.tokens.introspections.filter((i) => !i.active).length;
    const attemptsBefore = stack.smtp.authAttempts.length;
    // Past the renewal point (a fifth of the lifetime before the end), the desk no longer uses it.
    await waitUntil(() => Date.now() > (short?.expiresAt ?? 0) - 500, 5_000, 'the token near its end');
    const again = connections();
    killImapSessions(stack);
    await waitUntil(() => connections() > again, 15_000, 'reconnected once more');
    const tx = createSmtpTransport(config);
    try {
      await tx.sendMail({ from: INFO, to: COORDINATOR_A, subject: 'After a renewal', text: 'Po.' });
    } finally {
      tx.close();
    }
    expect(stack.tokens.introspections.filter((i) => !i.active).length).toBe(refusedBefore);
    expect(stack.smtp.authAttempts.slice(attemptsBefore).every((a) => a.ok)).toBe(true);
    expect(stack.tokens.last(clientId())?.token).not.toBe(short?.token);
    stack.tokens.lifetimeSec = 3600;
  });

  it('reports a revoked client or refresh token with its code and keeps retrying, instead of dying', async () => {
    if (grant === 'client_credentials') stack.tokens.revokeClient(stack.app.id);
    else stack.tokens.revokeRefreshToken(stack.refreshToken);
    killImapSessions(stack);
    const expected = grant === 'client_credentials' ? 'OAUTH_INVALID_CLIENT' : 'OAUTH_INVALID_GRANT';
    const failures = () =>
      lines.filter(
        (l) => l.msg === 'mailbox session ended' && (l.err as { code?: string } | undefined)?.code === expected,
      );
    await waitUntil(() => failures().length >= 2, 15_000, `two sessions ended with ${expected}`);
    expect(w.watcher.isActive).toBe(false);
    const tx = createSmtpTransport(config);
    try {
      await expect(
        tx.sendMail({ from: INFO, to: COORDINATOR_A, subject: 'Never sent', text: 'x' }),
      ).rejects.toMatchObject({ code: 'EAUTH' });
    } finally {
      tx.close();
    }
  });
});
