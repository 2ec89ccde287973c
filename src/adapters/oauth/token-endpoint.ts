import { classifyRefusal, OAuthError } from './errors.ts';

/**
 * The token endpoint side of OAuth 2.0 (RFC 6749 §4.4 client credentials,
 * §6 refresh), which is all the desk needs: one form POST and one JSON answer.
 * No OAuth library: the protocol is this small, and a library would bring
 * flows (authorization code, PKCE, discovery) the desk never runs.
 */

export type OAuthGrant = 'client_credentials' | 'refresh_token';

export interface TokenRequest {
  /** The endpoint itself, with any tenant already filled in. */
  tokenUrl: string;
  grant: OAuthGrant;
  clientId: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Space-separated; left out of the request when unset. */
  scope?: string;
}

export interface TokenResponse {
  accessToken: string;
  /** Lifetime the endpoint granted, in ms (expires_in; one hour when it says nothing). */
  lifetimeMs: number;
  /** A new refresh token, when the endpoint rotates them (Microsoft does). */
  refreshToken?: string;
  /** The endpoint's clock (HTTP Date header), to measure our own clock against. */
  serverDate?: Date;
  /** When the answer arrived, by our clock. */
  receivedAt: number;
}

/** Lifetime assumed when a response has no expires_in (RFC 6749 only RECOMMENDS it). */
const DEFAULT_LIFETIME_MS = 3600_000;

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}

/** Removes every secret of the request from text the endpoint sent back. */
function scrubbed(text: string, req: TokenRequest): string {
  let out = text;
  for (const s of [req.clientSecret, req.refreshToken]) if (s) out = out.split(s).join('[secret]');
  // Entra appends "Trace ID … Correlation ID … Timestamp …", which only Microsoft's support can use.
  return out
    .replace(/\s*Trace ID:.*$/s, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 400);
}

export async function requestToken(
  req: TokenRequest,
  o: {
    fetch?: typeof fetch;
    timeoutMs?: number;
    now?: () => number;
    /** Called with the endpoint's clock for every answer, a refusal too. */
    onDate?: (serverDate: Date, receivedAt: number) => void;
  } = {},
): Promise<TokenResponse> {
  const doFetch = o.fetch ?? fetch;
  const now = o.now ?? Date.now;
  const host = hostOf(req.tokenUrl);
  const form = new URLSearchParams({ grant_type: req.grant, client_id: req.clientId });
  // client_secret_post (RFC 6749 §2.3.1): what Google and Microsoft document for both grants.
  if (req.clientSecret) form.set('client_secret', req.clientSecret);
  if (req.grant === 'refresh_token') form.set('refresh_token', req.refreshToken ?? '');
  if (req.scope) form.set('scope', req.scope);
  let res: Response;
  try {
    res = await doFetch(req.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      redirect: 'error',
      signal: AbortSignal.timeout(o.timeoutMs ?? 15_000),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? 'no answer in time' : (e.cause?.code ?? e.message);
    throw new OAuthError(
      'OAUTH_ENDPOINT_UNREACHABLE',
      `token endpoint ${host} cannot be reached (${why})`,
      {},
      { cause: err },
    );
  }
  const receivedAt = now();
  const dateHeader = res.headers.get('date');
  const serverDate = dateHeader && !Number.isNaN(Date.parse(dateHeader)) ? new Date(dateHeader) : undefined;
  if (serverDate) o.onDate?.(serverDate, receivedAt);
  const text = await res.text().catch(() => '');
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // not JSON: handled below
  }
  if (!res.ok) {
    const { code, aadsts } = classifyRefusal(res.status, body);
    const error = typeof body.error === 'string' ? body.error : undefined;
    const description = typeof body.error_description === 'string' ? scrubbed(body.error_description, req) : undefined;
    const said = [error, description].filter(Boolean).join(': ') || `HTTP ${res.status}`;
    throw new OAuthError(code, `token endpoint ${host} refused the ${req.grant} grant (${said})`, {
      status: res.status,
      ...(error ? { error } : {}),
      ...(description ? { description } : {}),
      ...(aadsts !== undefined ? { aadsts } : {}),
    });
  }
  const accessToken = body.access_token;
  const tokenType = typeof body.token_type === 'string' ? body.token_type : 'bearer';
  if (typeof accessToken !== 'string' || accessToken === '' || tokenType.toLowerCase() !== 'bearer') {
    throw new OAuthError(
      'OAUTH_BAD_RESPONSE',
      `token endpoint ${host} answered HTTP ${res.status} without a bearer access_token`,
      {
        status: res.status,
      },
    );
  }
  const expiresIn = Number(body.expires_in);
  return {
    accessToken,
    lifetimeMs: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_LIFETIME_MS,
    ...(typeof body.refresh_token === 'string' && body.refresh_token ? { refreshToken: body.refresh_token } : {}),
    ...(serverDate ? { serverDate } : {}),
    receivedAt,
  };
}
