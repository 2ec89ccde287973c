import { EventEmitter } from 'node:events';
import { hostOf, requestToken, type OAuthGrant, type TokenRequest, type TokenResponse } from './token-endpoint.ts';

/** What the IMAP client and the SMTP transport need: a valid access token, and a way to say one was refused. */
export interface AccessTokens {
  /** A token valid for a while yet; fetched only when the cached one is near its end or was refused. */
  get(): Promise<AccessToken>;
  /** The server refused this token: the next get() asks the endpoint for a new one. */
  refused(token: string): void;
}

export interface AccessToken {
  accessToken: string;
  /** When to stop using it (ms since epoch, our clock): a margin before the endpoint's expiry. */
  refreshAt: number;
}

export interface TokenSourceEvents {
  /** A new token arrived; never carries the token itself. */
  token: [{ grant: OAuthGrant; endpoint: string; lifetimeMs: number; reason: 'first' | 'expiring' | 'refused' }];
}

/**
 * Renew this long before the end of a token's life: a fifth of it, at most five
 * minutes. An hour's token (Google, Microsoft) is renewed 5 minutes early, so a
 * login that starts just before expiry never carries a token that dies during it.
 */
export function refreshMargin(lifetimeMs: number): number {
  return Math.min(5 * 60_000, Math.floor(lifetimeMs / 5));
}

/**
 * Access tokens for one client, cached in memory only and shared by everything
 * that logs in with the same settings (watcher, mailer, doctor in one process).
 * Concurrent callers share one request to the endpoint. A refresh token that
 * the endpoint rotates is kept (in memory) for the next refresh.
 */
export class TokenSource extends EventEmitter<TokenSourceEvents> implements AccessTokens {
  private current: (AccessToken & { obtainedAt: number }) | null = null;
  private inflight: Promise<AccessToken> | null = null;
  private refreshToken: string | undefined;
  private nextReason: 'first' | 'expiring' | 'refused' = 'first';
  /** Endpoint clock minus ours (ms), from the last answer's Date header; null before any. */
  clockSkewMs: number | null = null;

  constructor(
    private readonly req: TokenRequest,
    private readonly o: { fetch?: typeof fetch; now?: () => number; timeoutMs?: number } = {},
  ) {
    super();
    this.refreshToken = req.refreshToken;
  }

  get grant(): OAuthGrant {
    return this.req.grant;
  }

  get endpoint(): string {
    return hostOf(this.req.tokenUrl);
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  async get(): Promise<AccessToken> {
    const c = this.current;
    if (c && this.now() < c.refreshAt) return { accessToken: c.accessToken, refreshAt: c.refreshAt };
    if (c) this.nextReason = 'expiring';
    return this.fetchNew();
  }

  /** A new token now, whatever is cached (doctor proves the endpoint answers). */
  renew(): Promise<AccessToken> {
    this.current = null;
    return this.fetchNew();
  }

  refused(token: string): void {
    if (this.current?.accessToken === token) {
      this.current = null;
      this.nextReason = 'refused';
    }
  }

  private fetchNew(): Promise<AccessToken> {
    this.inflight ??= (async () => {
      try {
        const res: TokenResponse = await requestToken(
          { ...this.req, refreshToken: this.refreshToken },
          { ...this.o, onDate: (date, at) => void (this.clockSkewMs = date.getTime() - at) },
        );
        if (res.refreshToken) this.refreshToken = res.refreshToken;
        const refreshAt = res.receivedAt + res.lifetimeMs - refreshMargin(res.lifetimeMs);
        this.current = { accessToken: res.accessToken, refreshAt, obtainedAt: res.receivedAt };
        this.emit('token', {
          grant: this.req.grant,
          endpoint: this.endpoint,
          lifetimeMs: res.lifetimeMs,
          reason: this.nextReason,
        });
        this.nextReason = 'expiring';
        return { accessToken: res.accessToken, refreshAt };
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  }
}
