/**
 * A token endpoint's refusal (RFC 6749 §5.2), translated at the edge into a
 * stable code that `coalition doctor` and the logs can show. The message names
 * the endpoint's host and what it said, never a secret: the description is
 * scrubbed of the client secret and refresh token before it is kept.
 */
export type OAuthErrorCode =
  /** The client id or secret is wrong, expired, or the app was disabled or deleted. */
  | 'OAUTH_INVALID_CLIENT'
  /** The client id is not known in this tenant (wrong client id, or the app lives in another tenant). */
  | 'OAUTH_CLIENT_NOT_FOUND'
  /** The tenant in the token URL does not exist. */
  | 'OAUTH_TENANT_NOT_FOUND'
  /** Nobody consented to the permissions the token would carry. */
  | 'OAUTH_CONSENT_MISSING'
  /** The refresh token was revoked, expired, or issued to another client. */
  | 'OAUTH_INVALID_GRANT'
  /** The client may not use this grant. */
  | 'OAUTH_UNAUTHORIZED_CLIENT'
  | 'OAUTH_UNSUPPORTED_GRANT'
  | 'OAUTH_INVALID_SCOPE'
  /** Any other 4xx refusal. */
  | 'OAUTH_REFUSED'
  /** 5xx or 429: the endpoint may answer later. */
  | 'OAUTH_ENDPOINT_UNAVAILABLE'
  /** No HTTP answer at all (DNS, refused, reset, timeout, TLS). */
  | 'OAUTH_ENDPOINT_UNREACHABLE'
  /** An answer that is not a token response. */
  | 'OAUTH_BAD_RESPONSE';

export class OAuthError extends Error {
  constructor(
    readonly code: OAuthErrorCode,
    message: string,
    readonly details: { status?: number; error?: string; description?: string; aadsts?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OAuthError';
  }

  /** True when asking again later may succeed without anyone changing a setting. */
  get temporary(): boolean {
    return this.code === 'OAUTH_ENDPOINT_UNAVAILABLE' || this.code === 'OAUTH_ENDPOINT_UNREACHABLE';
  }
}

/**
 * Microsoft Entra puts an AADSTS number in error_description (and in
 * error_codes); it says far more than the RFC 6749 error word, which is
 * invalid_client or invalid_request for half of them.
 */
const AADSTS: Record<number, OAuthErrorCode> = {
  90002: 'OAUTH_TENANT_NOT_FOUND', // tenant not found
  900023: 'OAUTH_TENANT_NOT_FOUND', // specified tenant identifier is neither a valid DNS name nor a valid external domain
  90013: 'OAUTH_TENANT_NOT_FOUND', // invalid input received from the user (a malformed tenant)
  700016: 'OAUTH_CLIENT_NOT_FOUND', // application not found in the directory
  7000215: 'OAUTH_INVALID_CLIENT', // invalid client secret
  7000222: 'OAUTH_INVALID_CLIENT', // client secret expired
  7000112: 'OAUTH_INVALID_CLIENT', // application is disabled
  65001: 'OAUTH_CONSENT_MISSING', // user or administrator has not consented
  65004: 'OAUTH_CONSENT_MISSING', // user declined to consent
  70011: 'OAUTH_INVALID_SCOPE', // invalid scope
  500011: 'OAUTH_INVALID_SCOPE', // resource principal not found in the tenant
  700082: 'OAUTH_INVALID_GRANT', // refresh token expired due to inactivity
  70008: 'OAUTH_INVALID_GRANT', // refresh token expired
  50173: 'OAUTH_INVALID_GRANT', // grant revoked (password change)
  70000: 'OAUTH_INVALID_GRANT', // grant is invalid or malformed
};

const RFC6749: Record<string, OAuthErrorCode> = {
  invalid_client: 'OAUTH_INVALID_CLIENT',
  invalid_grant: 'OAUTH_INVALID_GRANT',
  unauthorized_client: 'OAUTH_UNAUTHORIZED_CLIENT',
  unsupported_grant_type: 'OAUTH_UNSUPPORTED_GRANT',
  invalid_scope: 'OAUTH_INVALID_SCOPE',
};

/** The code for an HTTP error answer of a token endpoint (pure). */
export function classifyRefusal(
  status: number,
  body: { error?: unknown; error_description?: unknown; error_codes?: unknown },
): {
  code: OAuthErrorCode;
  aadsts?: number;
} {
  if (status === 429 || status >= 500) return { code: 'OAUTH_ENDPOINT_UNAVAILABLE' };
  const description = typeof body.error_description === 'string' ? body.error_description : '';
  const fromText = /AADSTS(\d+)/.exec(description)?.[1];
  const fromList =
    Array.isArray(body.error_codes) && typeof body.error_codes[0] === 'number' ? body.error_codes[0] : undefined;
  const aadsts = fromText !== undefined ? Number(fromText) : fromList;
  const byNumber = aadsts !== undefined ? AADSTS[aadsts] : undefined;
  if (byNumber) return { code: byNumber, aadsts };
  const byWord = typeof body.error === 'string' ? RFC6749[body.error] : undefined;
  return { code: byWord ?? 'OAUTH_REFUSED', ...(aadsts !== undefined ? { aadsts } : {}) };
}
