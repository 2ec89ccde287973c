import type { Config } from '../../../config/schema.ts';
import { TokenSource } from './token-source.ts';
import type { TokenRequest } from './token-endpoint.ts';

export { classifyRefusal, OAuthError, type OAuthErrorCode } from './errors.ts';
export { hostOf, requestToken, type OAuthGrant, type TokenRequest, type TokenResponse } from './token-endpoint.ts';
export { refreshMargin, TokenSource, type AccessToken, type AccessTokens } from './token-source.ts';

export type OAuthConfig = Pick<
  Config,
  'OAUTH_TOKEN_URL' | 'OAUTH_GRANT' | 'OAUTH_CLIENT_ID' | 'OAUTH_CLIENT_SECRET' | 'OAUTH_REFRESH_TOKEN' | 'OAUTH_SCOPE'
>;

/** The token request the settings describe (the config has already checked that they are complete). */
export function tokenRequestOf(c: OAuthConfig): TokenRequest {
  if (!c.OAUTH_TOKEN_URL || !c.OAUTH_CLIENT_ID)
    throw new Error('OAUTH_TOKEN_URL and OAUTH_CLIENT_ID are needed for oauth2 sign-in');
  return {
    tokenUrl: c.OAUTH_TOKEN_URL,
    grant: c.OAUTH_GRANT,
    clientId: c.OAUTH_CLIENT_ID,
    ...(c.OAUTH_CLIENT_SECRET ? { clientSecret: c.OAUTH_CLIENT_SECRET } : {}),
    ...(c.OAUTH_REFRESH_TOKEN ? { refreshToken: c.OAUTH_REFRESH_TOKEN } : {}),
    ...(c.OAUTH_SCOPE ? { scope: c.OAUTH_SCOPE } : {}),
  };
}

const sources = new WeakMap<object, TokenSource>();

/**
 * One token source per loaded configuration: the watcher's IMAP sessions and
 * the mailer's SMTP connections in one process share its tokens (Microsoft's
 * `.default` scope and Google's `https://mail.google.com/` cover both).
 */
export function tokenSourceFor(c: OAuthConfig): TokenSource {
  let s = sources.get(c);
  if (!s) {
    s = new TokenSource(tokenRequestOf(c));
    sources.set(c, s);
  }
  return s;
}
