import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import { SECRET_KEYS, type Config } from '../../../config/schema.ts';
import { createLogger } from '../../../src/adapters/log.ts';
import { startService, type RunningService } from '../../../src/cli/service.ts';
import { killImapSessions, waitUntil } from '../../harness/ingest.ts';
import { waitForMessages } from '../../harness/mailbox.ts';
import { startOAuthStack, type Grant, type OAuthStack } from '../../harness/oauth.ts';
import { CSO } from '../../harness/stack.ts';
import { sendJoinRequest } from '../flow/desk.ts';

/**
 * The whole desk (watcher, processor, mailer, wired as `coalition start`
 * wires them) logging at trace level through a day in the life of its
 * tokens: sign-in, a join request answered by SMTP, a token expiring
 * mid-session, the SMTP server refusing one, the app or refresh token revoked.
 * Not one log line may carry an access token, a refresh token or a secret.
 */
describe.each<Grant>(['client_credentials', 'refresh_token'])('the logs of a desk signing in with %s', (grant) => {
  let stack: OAuthStack;
  let config: Config;
  let service: RunningService | null = null;
  const lines: string[] = [];
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const connections = () => parsed().filter((l) => l.msg === 'connected to the mailbox').length;

  beforeAll(async () => {
    stack = await startOAuthStack();
    config = loadConfig(
      stack.envFor(grant, { LOG_LEVEL: 'trace', IMAP_POLL_INTERVAL: '1s', SMTP_RETRY_DELAY: '200ms' }),
      '/nonexistent/.env',
    );
    const logger = createLogger(
      'trace',
      {},
      { write: (s: string) => void lines.push(...s.split('\n').filter(Boolean)) },
    );
    service = await startService(config, logger);
  });
  afterAll(async () => {
    await service?.close();
    await stack?.stop();
  });

  it('contains no token or secret through sign-in, expiry, refusal and revocation', async () => {
    await waitUntil(() => connections() >= 1, 15_000, 'the watcher in the mailbox');
    await sendJoinRequest(stack);
    await waitForMessages(stack.dovecot, CSO, { timeoutMs: 30_000 });

    // Expiry mid-session, and an SMTP server that refuses outright (Exchange) the next time.
    stack.smtpOAuth.refusal = 'reject';
    stack.tokens.expire();
    const before = connections();
    killImapSessions(stack);
    await waitUntil(() => connections() > before, 15_000, 'the watcher back with a new token');
    await sendJoinRequest(stack, { from: 'Besa Kola <office@another-cso.example.net>' });
    // A new address: its mailbox only exists once the capture has delivered to it.
    await waitUntil(
      () => stack.smtp.deliveriesTo('office@another-cso.example.net').length > 0,
      30_000,
      'the second acknowledgement',
    );

    // Revocation: the token endpoint refuses, every session ends in an error that is logged.
    if (grant === 'client_credentials') stack.tokens.revokeClient(stack.app.id);
    else stack.tokens.revokeRefreshToken(stack.refreshToken);
    killImapSessions(stack);
    const code = grant === 'client_credentials' ? 'OAUTH_INVALID_CLIENT' : 'OAUTH_INVALID_GRANT';
    await waitUntil(
      () => parsed().some((l) => (l.err as { code?: string } | undefined)?.code === code),
      15_000,
      `a log line with ${code}`,
    );
    await service?.close();
    service = null;

    const secrets = [
      ...stack.tokens.secrets(),
      ...SECRET_KEYS.filter((k) => k !== 'REDIS_URL').map((k) => config[k]),
    ].filter((s): s is string => typeof s === 'string' && s.length >= 8);
    expect(stack.tokens.issued.length).toBeGreaterThanOrEqual(2);
    // The logs saw it all: two sessions, both mails sent, the refusal with its code.
    expect(connections()).toBeGreaterThanOrEqual(2);
    expect(parsed().filter((l) => l.msg === 'mail sent').length).toBeGreaterThanOrEqual(2);
    const leaks = lines.filter((l) => secrets.some((s) => l.includes(s)));
    expect(leaks).toEqual([]);
  });
});
