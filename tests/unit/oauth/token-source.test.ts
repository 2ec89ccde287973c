import { describe, expect, it } from 'vitest';
import {
  classifyRefusal,
  OAuthError,
  refreshMargin,
  requestToken,
  TokenSource,
  type TokenRequest,
} from '../../../src/adapters/oauth/index.ts';

/**
 * The token source's own logic (caching, renewal timing, one request for many
 * callers, rotation, what it keeps of a refusal). The HTTP exchange with a real
 * endpoint is tested in tests/integration/oauth; here `fetch` is a function
 * answering as an endpoint would, so the clock can be moved by hand.
 */

const cc: TokenRequest = {
  tokenUrl: 'https://login.example.org/t/oauth2/v2.0/token',
  grant: 'client_credentials',
  clientId: 'app',
  clientSecret: 'cs-very-secret',
  scope: 'https://outlook.office365.com/.default',
};
const rt: TokenRequest = {
  tokenUrl: 'https://oauth2.example.org/token',
  grant: 'refresh_token',
  clientId: 'g',
  clientSecret: 'gs',
  refreshToken: '1//first',
};

interface Call {
  form: URLSearchParams;
}

function endpoint(answers: (call: Call, n: number) => { status?: number; body: unknown; date?: string }) {
  const calls: Call[] = [];
  const f = (async (_url: string | URL | Request, init?: RequestInit) => {
    const call = { form: new URLSearchParams(String(init?.body ?? '')) };
    calls.push(call);
    const a = answers(call, calls.length);
    return new Response(JSON.stringify(a.body), {
      status: a.status ?? 200,
      headers: { 'content-type': 'application/json', ...(a.date ? { date: a.date } : {}) },
    });
  }) as typeof fetch;
  return { f, calls };
}

const ok = (n: number, extra: Record<string, unknown> = {}) => ({
  body: { access_token: `token-${n}`, token_type: 'Bearer', expires_in: 3600, ...extra },
});

describe('the token source', () => {
  it('asks the endpoint once and serves the cached token until a fifth of its life (at most 5 minutes) is left', async () => {
    let now = 1_000_000;
    const { f, calls } = endpoint((_c, n) => ok(n));
    const s = new TokenSource(cc, { fetch: f, now: () => now });
    expect((await s.get()).accessToken).toBe('token-1');
    now += 3600_000 - 5 * 60_000 - 1;
    expect((await s.get()).accessToken).toBe('token-1');
    now += 2;
    expect((await s.get()).accessToken).toBe('token-2');
    expect(calls).toHaveLength(2);
    expect(refreshMargin(3600_000)).toBe(300_000);
    expect(refreshMargin(3000)).toBe(600);
  });

  it('sends the grant, the client and the scope as a form, the refresh token only for that grant', async () => {
    const a = endpoint((_c, n) => ok(n));
    await new TokenSource(cc, { fetch: a.f }).get();
    expect(Object.fromEntries(a.calls[0]?.form ?? [])).toEqual({
      grant_type: 'client_credentials',
      client_id: 'app',
      client_secret: 'cs-very-secret',
      scope: 'https://outlook.office365.com/.default',
    });
    const b = endpoint((_c, n) => ok(n));
    await new TokenSource(rt, { fetch: b.f }).get();
    expect(b.calls[0]?.form.get('refresh_token')).toBe('1//first');
    expect(b.calls[0]?.form.has('scope')).toBe(false);
  });

  it('fetches a new token after the server refused the current one, but not for an older token refused late', async () => {
    const { f, calls } = endpoint((_c, n) => ok(n));
    const s = new TokenSource(cc, { fetch: f });
    const first = await s.get();
    s.refused(first.accessToken);
    const second = await s.get();
    expect(second.accessToken).toBe('token-2');
    s.refused(first.accessToken); // a second connection reporting the same dead token
    expect((await s.get()).accessToken).toBe('token-2');
    expect(calls).toHaveLength(2);
  });

  it('makes one request for many callers at once', async () => {
    const { f, calls } = endpoint((_c, n) => ok(n));
    const s = new TokenSource(cc, { fetch: f });
    const got = await Promise.all([s.get(), s.get(), s.get()]);
    expect(new Set(got.map((g) => g.accessToken))).toEqual(new Set(['token-1']));
    expect(calls).toHaveLength(1);
  });

  it('keeps a rotated refresh token for the next refresh', async () => {
    const { f, calls } = endpoint((_c, n) => ok(n, { refresh_token: `1//rotated-${n}` }));
    const s = new TokenSource(rt, { fetch: f });
    await s.renew();
    await s.renew();
    expect(calls.map((c) => c.form.get('refresh_token'))).toEqual(['1//first', '1//rotated-1']);
  });

  it("measures the clock against the endpoint's Date header", async () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    const { f } = endpoint((_c, n) => ({ ...ok(n), date: 'Sun, 01 Mar 2026 10:07:00 GMT' }));
    const s = new TokenSource(cc, { fetch: f, now: () => now });
    await s.get();
    expect(s.clockSkewMs).toBe(7 * 60_000);
  });

  it('turns a refusal into a stable code and a message with what the endpoint said, without the secret it was sent', async () => {
    const { f } = endpoint(() => ({
      status: 401,
      body: {
        error: 'invalid_client',
        error_description:
          'AADSTS7000215: Invalid client secret provided (cs-very-secret). Trace ID: abc Correlation ID: def',
        error_codes: [7000215],
      },
    }));
    const err = await requestToken(cc, { fetch: f }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OAuthError);
    const e = err as OAuthError;
    expect(e.code).toBe('OAUTH_INVALID_CLIENT');
    expect(e.message).toBe(
      'token endpoint login.example.org refused the client_credentials grant (invalid_client: AADSTS7000215: Invalid client secret provided ([secret]).)',
    );
    expect(e.temporary).toBe(false);
  });

  it('refuses an answer without a bearer token', async () => {
    const { f } = endpoint(() => ({ body: { token_type: 'mac', access_token: 'x' } }));
    await expect(requestToken(cc, { fetch: f })).rejects.toMatchObject({ code: 'OAUTH_BAD_RESPONSE' });
  });

  it('calls an endpoint that cannot be reached a temporary failure', async () => {
    const f = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    }) as typeof fetch;
    const err = (await requestToken(cc, { fetch: f }).catch((e: unknown) => e)) as OAuthError;
    expect(err.code).toBe('OAUTH_ENDPOINT_UNREACHABLE');
    expect(err.message).toBe('token endpoint login.example.org cannot be reached (ECONNREFUSED)');
    expect(err.temporary).toBe(true);
  });
});

describe("reading a token endpoint's refusal", () => {
  it.each([
    [
      400,
      { error: 'invalid_request', error_description: "AADSTS90002: Tenant 'x' not found." },
      'OAUTH_TENANT_NOT_FOUND',
    ],
    [
      400,
      {
        error: 'unauthorized_client',
        error_description: "AADSTS700016: Application with identifier 'a' was not found in the directory 'x'.",
      },
      'OAUTH_CLIENT_NOT_FOUND',
    ],
    [
      400,
      { error: 'invalid_grant', error_description: 'AADSTS65001: The user or administrator has not consented' },
      'OAUTH_CONSENT_MISSING',
    ],
    [400, { error: 'invalid_client', error_codes: [7000222] }, 'OAUTH_INVALID_CLIENT'],
    [400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }, 'OAUTH_INVALID_GRANT'],
    [401, { error: 'invalid_client', error_description: 'The OAuth client was deleted.' }, 'OAUTH_INVALID_CLIENT'],
    [400, { error: 'invalid_scope' }, 'OAUTH_INVALID_SCOPE'],
    [400, { error: 'something_else' }, 'OAUTH_REFUSED'],
    [503, {}, 'OAUTH_ENDPOINT_UNAVAILABLE'],
    [429, { error: 'slow_down' }, 'OAUTH_ENDPOINT_UNAVAILABLE'],
  ])('HTTP %i %j is %s', (status, body, code) => {
    expect(classifyRefusal(status, body).code).toBe(code);
  });
});
