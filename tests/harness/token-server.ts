import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OAuth 2.0 authorization server for the tests, speaking the two
 * dialects the desk meets: Microsoft Entra's (the tenant in the path,
 * `/{tenant}/oauth2/v2.0/token`, AADSTS numbers in its errors) and Google's
 * (`/token`). It issues short-lived opaque bearer tokens for the
 * client_credentials and refresh_token grants and answers RFC 7662
 * introspection at `/introspect`, which Dovecot's oauth2 passdb and the SMTP
 * capture call at every login. A test can expire or revoke a token, revoke a
 * client or a refresh token, withhold consent or the mailbox permission, and
 * skew the clock in the Date header.
 */

export const TENANT = '8f1e4c2a-6b3d-4e5f-9a7b-0c1d2e3f4a5b';
/** Credentials Dovecot and the SMTP capture use to call the introspection endpoint (the resource server's). */
const RESOURCE = { id: 'mail-resource', secret: randomBytes(12).toString('hex') };

export interface Client {
  id: string;
  secret: string;
  /** Entra tenant it is registered in; none for a Google client. */
  tenant?: string;
  /** The mailbox an app-only token may open (Exchange's Add-MailboxPermission); none: no mailbox. */
  mailbox?: string;
  /** Admin consent to IMAP.AccessAsApp and SMTP.SendAsApp (app-only), or to the delegated scopes. */
  consent: boolean;
  disabled: boolean;
}

export interface Issued {
  token: string;
  clientId: string;
  grant: 'client_credentials' | 'refresh_token';
  /** The mailbox the token opens ('' when none). */
  user: string;
  /** What the token may do, as introspection reports it: imap, smtp. */
  scope: string[];
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
}

interface Refresh {
  clientId: string;
  user: string;
  revoked: boolean;
}

export class TokenServer {
  private server: Server | null = null;
  port = 0;
  /** Lifetime of every token issued from now on (s). */
  lifetimeSec: number;
  /** Added to the clock this server shows in its Date header (ms). */
  clockOffsetMs = 0;
  /** Issue a new refresh token with every refresh and retire the old one (strict rotation). */
  rotateRefreshTokens = false;
  readonly clients = new Map<string, Client>();
  readonly refreshTokens = new Map<string, Refresh>();
  readonly issued: Issued[] = [];
  /** Every token request, in order: which grant, which client, and the answer's error word (null when a token was issued). */
  readonly requests: { grant: string; clientId: string; error: string | null; at: number }[] = [];
  /** Every introspection, in order, with its verdict. */
  readonly introspections: { token: string; active: boolean; at: number }[] = [];

  private constructor(o: { lifetimeSec?: number }) {
    this.lifetimeSec = o.lifetimeSec ?? 3600;
  }

  static async start(o: { lifetimeSec?: number } = {}): Promise<TokenServer> {
    const t = new TokenServer(o);
    const server = createServer((req, res) => {
      t.handle(req, res).catch((err: unknown) =>
        t.json(res, 500, { error: 'server_error', error_description: String(err) }),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    t.server = server;
    t.port = (server.address() as AddressInfo).port;
    return t;
  }

  /** Microsoft-style token URL template, for OAUTH_TOKEN_URL with OAUTH_TENANT. */
  get tenantTokenUrl(): string {
    return `http://127.0.0.1:${this.port}/{tenant}/oauth2/v2.0/token`;
  }

  /** Google-style token URL. */
  get tokenUrl(): string {
    return `http://127.0.0.1:${this.port}/token`;
  }

  /** Introspection URL with the resource server's credentials in it (Dovecot turns them into Basic auth). */
  get introspectionUrl(): string {
    return `http://${RESOURCE.id}:${RESOURCE.secret}@127.0.0.1:${this.port}/introspect`;
  }

  addClient(c: Partial<Client> & { id: string }): Client {
    const client: Client = {
      secret: `secret-${randomBytes(9).toString('base64url')}`,
      consent: true,
      disabled: false,
      ...c,
    };
    this.clients.set(client.id, client);
    return client;
  }

  /** A refresh token for `user`, as the consent screen would have given the operator. */
  addRefreshToken(clientId: string, user: string): string {
    const rt = `1//rt-${randomBytes(18).toString('base64url')}`;
    this.refreshTokens.set(rt, { clientId, user, revoked: false });
    return rt;
  }

  /** The app is disabled or deleted: no new tokens, and every token it holds stops working. */
  revokeClient(id: string): void {
    const c = this.clients.get(id);
    if (c) c.disabled = true;
    for (const t of this.issued) if (t.clientId === id) t.revoked = true;
  }

  /** The user revoked the desk's access (or changed their password): the refresh token and its tokens die. */
  revokeRefreshToken(rt: string): void {
    const r = this.refreshTokens.get(rt);
    if (!r) return;
    r.revoked = true;
    for (const t of this.issued)
      if (t.clientId === r.clientId && t.user === r.user && t.grant === 'refresh_token') t.revoked = true;
  }

  /** Ends a token's life now (all live ones without an argument). */
  expire(token?: string): void {
    const now = Date.now();
    for (const t of this.issued) if ((token === undefined || t.token === token) && t.expiresAt > now) t.expiresAt = now;
  }

  /** The last token issued (optionally: to this client). */
  last(clientId?: string): Issued | undefined {
    return this.issued.filter((t) => clientId === undefined || t.clientId === clientId).at(-1);
  }

  isActive(t: Issued): boolean {
    const client = this.clients.get(t.clientId);
    return !t.revoked && !client?.disabled && Date.now() < t.expiresAt;
  }

  /** Every secret this server knows: client secrets, refresh tokens, and every access token it issued. */
  secrets(): string[] {
    return [
      ...[...this.clients.values()].map((c) => c.secret),
      ...this.refreshTokens.keys(),
      ...this.issued.map((t) => t.token),
      RESOURCE.secret,
    ];
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      date: new Date(Date.now() + this.clockOffsetMs).toUTCString(),
    });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'POST' && path === '/introspect') return this.introspect(req, res, form);
    const tenantPath = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
    if (req.method === 'POST' && (tenantPath || path === '/token')) {
      return this.token(res, form, tenantPath ? decodeURIComponent(tenantPath[1] ?? '') : null);
    }
    this.json(res, 404, { error: 'not_found' });
  }

  private refuse(
    res: ServerResponse,
    o: { grant: string; clientId: string },
    status: number,
    error: string,
    description: string,
    aadsts?: number,
  ): void {
    this.requests.push({ ...o, error, at: Date.now() });
    this.json(res, status, { error, error_description: description, ...(aadsts ? { error_codes: [aadsts] } : {}) });
  }

  private token(res: ServerResponse, form: URLSearchParams, tenant: string | null): void {
    const grant = form.get('grant_type') ?? '';
    const clientId = form.get('client_id') ?? '';
    const o = { grant, clientId };
    const ms = tenant !== null; // Entra's dialect
    if (ms && tenant !== TENANT) {
      return this.refuse(
        res,
        o,
        400,
        'invalid_request',
        `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Trace ID: 0f5e`,
        90002,
      );
    }
    const client = this.clients.get(clientId);
    if (!client || (client.tenant ?? null) !== tenant) {
      return ms
        ? this.refuse(
            res,
            o,
            400,
            'unauthorized_client',
            `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenant}'. Trace ID: 1a2b`,
            700016,
          )
        : this.refuse(res, o, 401, 'invalid_client', 'The OAuth client was not found.');
    }
    if (client.disabled) {
      return ms
        ? this.refuse(
            res,
            o,
            400,
            'unauthorized_client',
            `AADSTS7000112: Application '${clientId}' is disabled. Trace ID: 3c4d`,
            7000112,
          )
        : this.refuse(res, o, 401, 'invalid_client', 'The OAuth client was deleted.');
    }
    if (!safeEqual(form.get('client_secret') ?? '', client.secret)) {
      return ms
        ? this.refuse(
            res,
            o,
            401,
            'invalid_client',
            `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'. Trace ID: 5e6f`,
            7000215,
          )
        : this.refuse(res, o, 401, 'invalid_client', 'Unauthorized');
    }
    let user: string;
    let scope: string[];
    if (grant === 'client_credentials') {
      if (!ms) return this.refuse(res, o, 400, 'unsupported_grant_type', 'Invalid grant_type: client_credentials');
      // Entra issues an app-only token even without admin consent; it then carries no roles.
      user = client.mailbox ?? '';
      scope = client.consent ? ['imap', 'smtp'] : [];
    } else if (grant === 'refresh_token') {
      const rt = form.get('refresh_token') ?? '';
      const r = this.refreshTokens.get(rt);
      if (!r || r.revoked || r.clientId !== clientId) {
        return ms
          ? this.refuse(
              res,
              o,
              400,
              'invalid_grant',
              'AADSTS70008: The provided authorization code or refresh token has expired due to inactivity. Trace ID: 7a8b',
              70008,
            )
          : this.refuse(res, o, 400, 'invalid_grant', 'Token has been expired or revoked.');
      }
      if (!client.consent) {
        return this.refuse(
          res,
          o,
          400,
          'invalid_grant',
          `AADSTS65001: The user or administrator has not consented to use the application with ID '${clientId}'. Trace ID: 9c0d`,
          65001,
        );
      }
      user = r.user;
      scope = ['imap', 'smtp'];
      if (this.rotateRefreshTokens) r.revoked = true;
    } else {
      return this.refuse(res, o, 400, 'unsupported_grant_type', `unsupported grant_type ${grant}`);
    }
    const now = Date.now();
    const issued: Issued = {
      token: `at-${randomBytes(24).toString('base64url')}`,
      clientId,
      grant,
      user,
      scope,
      issuedAt: now,
      expiresAt: now + this.lifetimeSec * 1000,
      revoked: false,
    };
    this.issued.push(issued);
    this.requests.push({ ...o, error: null, at: now });
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      expires_in: this.lifetimeSec,
      access_token: issued.token,
    };
    if (grant === 'refresh_token' && this.rotateRefreshTokens)
      body.refresh_token = this.addRefreshToken(clientId, user);
    this.json(res, 200, body);
  }

  private introspect(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): void {
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const [id, secret] = Buffer.from(basic ?? '', 'base64')
      .toString()
      .split(':');
    if (id !== RESOURCE.id || !safeEqual(secret ?? '', RESOURCE.secret)) {
      this.json(res, 401, { error: 'invalid_client' });
      return;
    }
    const token = form.get('token') ?? '';
    const t = this.issued.find((i) => i.token === token);
    const active = t !== undefined && this.isActive(t);
    this.introspections.push({ token, active, at: Date.now() });
    if (!t || !active) {
      // RFC 7662 would say only {"active":false}. Dovecot 2.3 checks the username
      // before `active` and calls a missing one an internal failure, which the
      // client sees as a temporary error; an empty username is a plain refusal,
      // as Gmail and Exchange give for a dead token.
      this.json(res, 200, { active: false, username: '' });
      return;
    }
    // Flat values only: Dovecot 2.3's parser refuses arrays and objects in the answer.
    this.json(res, 200, {
      active: true,
      username: t.user,
      scope: t.scope.join(' '),
      client_id: t.clientId,
      exp: Math.floor(t.expiresAt / 1000),
    });
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
