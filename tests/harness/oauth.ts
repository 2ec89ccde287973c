import type { DovecotOptions } from '../../src/devstack/dovecot.ts';
import { INFO, startStack, type Stack } from './stack.ts';
import { TENANT, TokenServer, type Client } from './token-server.ts';

/**
 * The mail world of stack.ts, signing in by OAuth 2.0: a token server, a
 * Dovecot whose oauth2 passdb asks it about every token (XOAUTH2), and an SMTP
 * capture that accepts XOAUTH2 and asks the same server. Passwords keep
 * working for the test's own helpers (imapAs, the master user).
 *
 * Two clients are registered, one per grant, as an operator would have them:
 * a Microsoft 365 app (client_credentials, in TENANT, with the mailbox
 * permission on info@) and a Google OAuth client with a refresh token made by
 * info@.
 */

export type Grant = 'client_credentials' | 'refresh_token';

export interface OAuthStack extends Stack {
  tokens: TokenServer;
  /** The Microsoft 365 app (client_credentials). */
  app: Client;
  /** The Google OAuth client (refresh_token). */
  google: Client;
  refreshToken: string;
  /** How the SMTP capture refuses a bad token; a test may switch it. */
  smtpOAuth: { introspectionUrl: string; scope: string; refusal: 'challenge' | 'reject' };
  /** Settings for the desk signing in with `grant`, through the matching MAIL_PROVIDER preset. */
  envFor(grant: Grant, extra?: Record<string, string>): Record<string, string>;
}

export async function startOAuthStack(
  o: {
    lifetimeSec?: number;
    dovecot?: Omit<DovecotOptions, 'users' | 'oauth2'>;
    oauthbearer?: boolean;
    env?: Record<string, string>;
  } = {},
): Promise<OAuthStack> {
  const tokens = await TokenServer.start({ lifetimeSec: o.lifetimeSec });
  const smtpOAuth = {
    introspectionUrl: tokens.introspectionUrl,
    scope: 'smtp',
    refusal: 'challenge' as 'challenge' | 'reject',
  };
  let stack: Stack;
  try {
    stack = await startStack({
      env: o.env,
      dovecot: {
        ...o.dovecot,
        oauth2: {
          introspectionUrl: tokens.introspectionUrl,
          scope: 'imap',
          mechanisms: o.oauthbearer ? ['xoauth2', 'oauthbearer'] : ['xoauth2'],
        },
      },
      smtp: { oauth: smtpOAuth },
    });
  } catch (err) {
    await tokens.stop();
    throw err;
  }
  const app = tokens.addClient({ id: 'desk-app-0001', tenant: TENANT, mailbox: INFO });
  const google = tokens.addClient({ id: '1234-desk.apps.googleusercontent.example' });
  const refreshToken = tokens.addRefreshToken(google.id, INFO);
  const local = {
    IMAP_HOST: '127.0.0.1',
    IMAP_PORT: String(stack.dovecot.imapPort),
    IMAP_SECURE: 'false',
    IMAP_PASSWORD: '',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(stack.smtp.port),
    SMTP_SECURE: 'false',
  };
  return {
    ...stack,
    tokens,
    app,
    google,
    refreshToken,
    smtpOAuth,
    envFor(grant, extra = {}) {
      const signIn: Record<string, string> =
        grant === 'client_credentials'
          ? {
              MAIL_PROVIDER: 'microsoft365',
              OAUTH_TOKEN_URL: tokens.tenantTokenUrl,
              OAUTH_TENANT: TENANT,
              OAUTH_CLIENT_ID: app.id,
              OAUTH_CLIENT_SECRET: app.secret,
            }
          : {
              MAIL_PROVIDER: 'google',
              OAUTH_TOKEN_URL: tokens.tokenUrl,
              OAUTH_CLIENT_ID: google.id,
              OAUTH_CLIENT_SECRET: google.secret,
              OAUTH_REFRESH_TOKEN: refreshToken,
            };
      return { ...stack.env, ...local, ...signIn, ...extra };
    },
    async stop() {
      await stack.stop();
      await tokens.stop();
    },
  };
}
