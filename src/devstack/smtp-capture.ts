import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import type { Dovecot } from './dovecot.ts';

/**
 * A real SMTP server (smtp-server) that takes what the service sends and
 * delivers it over LMTP into the recipients' Dovecot mailboxes before it says
 * 250, so when sendMail() resolves, the mail is in the INBOX a test reads.
 */

export interface CapturedMail {
  from: string;
  to: string[];
  raw: Buffer;
  authUser?: string;
}

export interface SmtpCaptureOptions {
  dovecot: Dovecot;
  /** Require this login (SMTP AUTH over plain text, for loopback only). */
  auth?: { user: string; pass: string };
  /** Create a mailbox for an unknown recipient instead of refusing it (the sandbox does). */
  autoCreateUsers?: boolean;
  port?: number;
  /**
   * Also accept AUTH XOAUTH2, checking each token at this RFC 7662 introspection
   * URL (userinfo in the URL becomes HTTP Basic auth), as Dovecot's oauth2
   * passdb does: the token must be active, name the login's user, and list `scope`.
   */
  oauth?: {
    introspectionUrl: string;
    /** Required in the introspection answer's scope; default "smtp". */
    scope?: string;
    /**
     * How a bad token is refused: 'challenge' as Gmail does (334 with an error
     * JSON, then 535 after the client's empty line) or 'reject' as Exchange
     * Online does (535 5.7.3 at once).
     */
    refusal?: 'challenge' | 'reject';
  };
}

export interface AuthAttempt {
  method: string;
  user: string;
  ok: boolean;
}

/** Asks an RFC 7662 introspection endpoint about a token; the URL's userinfo is sent as Basic auth. */
export async function introspect(url: string, token: string): Promise<Record<string, unknown>> {
  const u = new URL(url);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (u.username) headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
  u.username = '';
  u.password = '';
  const res = await fetch(u, { method: 'POST', headers, body: new URLSearchParams({ token }).toString() });
  if (!res.ok) throw new Error(`introspection answered HTTP ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

export class SmtpCapture {
  readonly messages: CapturedMail[] = [];
  private server: SMTPServer | null = null;
  private readonly lmtp;
  port = 0;
  /** When set, every message is refused with this SMTP code (e.g. 451 or 550). */
  refuseWith: number | null = null;
  /** When it returns a code, that recipient is refused with it (RCPT TO), the others accepted. */
  refuseRecipient: ((address: string) => number | null) | null = null;
  /** Users whose SMTP AUTH is turned off, as Exchange Online's SmtpClientAuthenticationDisabled does (535 5.7.139). */
  readonly authDisabled = new Set<string>();
  /** Every AUTH attempt, in order (never the password or token). */
  readonly authAttempts: AuthAttempt[] = [];

  constructor(private readonly o: SmtpCaptureOptions) {
    this.lmtp = nodemailer.createTransport({
      host: '127.0.0.1',
      port: o.dovecot.lmtpPort,
      lmtp: true,
      secure: false,
      ignoreTLS: true,
    });
  }

  static async start(o: SmtpCaptureOptions): Promise<SmtpCapture> {
    const c = new SmtpCapture(o);
    await c.listen(o.port ?? 0);
    return c;
  }

  async listen(port = this.port): Promise<void> {
    if (this.server) return;
    const { auth, dovecot, autoCreateUsers, oauth } = this.o;
    const server = new SMTPServer({
      secure: false,
      // smtp-server's built-in STARTTLS certificate has expired; loopback needs no TLS.
      disabledCommands: auth || oauth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      ...(oauth ? { authMethods: ['PLAIN', 'LOGIN', 'XOAUTH2'] } : {}),
      allowInsecureAuth: true,
      authOptional: !auth && !oauth,
      logger: false,
      size: 50 * 1024 * 1024,
      onAuth: (a, _s, cb) => {
        const user = (a.username ?? '').toLowerCase();
        const record = (ok: boolean): void => void this.authAttempts.push({ method: a.method, user, ok });
        if (this.authDisabled.has(user)) {
          record(false);
          const msg = '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.';
          cb(Object.assign(new Error(msg), { responseCode: 535 }));
          return;
        }
        if (a.method === 'XOAUTH2' && oauth) {
          introspect(oauth.introspectionUrl, a.accessToken ?? '')
            .then((info) => {
              const scopes = String(info.scope ?? '').split(' ');
              const ok = info.active === true && String(info.username ?? '').toLowerCase() === user && scopes.includes(oauth.scope ?? 'smtp');
              record(ok);
              if (ok) cb(null, { user });
              else if (oauth.refusal === 'reject') cb(Object.assign(new Error('5.7.3 Authentication unsuccessful'), { responseCode: 535 }));
              else cb(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
            })
            .catch((err: Error) => {
              record(false);
              cb(Object.assign(err, { responseCode: 454 }));
            });
          return;
        }
        const ok = auth !== undefined && a.username === auth.user && a.password === auth.pass;
        record(ok);
        if (ok) cb(null, { user: a.username });
        else cb(new Error('Invalid username or password'));
      },
      onRcptTo: (address, _session, cb) => {
        const rcpt = address.address.toLowerCase();
        const refused = this.refuseRecipient?.(rcpt) ?? null;
        if (refused !== null) {
          cb(Object.assign(new Error(`<${rcpt}> refused by test`), { responseCode: refused }));
          return;
        }
        if (!dovecot.hasUser(rcpt)) {
          if (!autoCreateUsers) {
            cb(Object.assign(new Error(`5.1.1 <${rcpt}> User doesn't exist`), { responseCode: 550 }));
            return;
          }
          dovecot.addUser(rcpt, randomBytes(9).toString('base64url'));
        }
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          if (this.refuseWith !== null) {
            cb(Object.assign(new Error('refused by test'), { responseCode: this.refuseWith }));
            return;
          }
          this.deliver(from, to, raw)
            .then(() => {
              this.messages.push({ from, to, raw, authUser: session.user as string | undefined });
              cb(null, 'queued');
            })
            .catch((err: Error) => cb(Object.assign(err, { responseCode: 451 })));
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    server.on('error', () => undefined);
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
  }

  /**
   * LMTP delivery, one reply per recipient. Dovecot re-reads its passwd-file
   * when the file's mtime changes, which it sees with up to a second's delay:
   * a mailbox created a moment ago may still be unknown, so wait for it.
   */
  private async deliver(from: string, to: string[], raw: Buffer): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const info = await this.lmtp.sendMail({ envelope: { from, to }, raw });
        if (info.rejected.length === 0) return;
        if (attempt >= 15) throw new Error(`LMTP rejected ${info.rejected.join(', ')}`);
        to = info.rejected.map(String);
      } catch (err) {
        if (attempt >= 15) throw err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Closes the listener (an outage); listen() brings it back on the same port. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((r) => server.close(() => r()));
  }

  deliveriesTo(address: string): CapturedMail[] {
    const a = address.toLowerCase();
    return this.messages.filter((m) => m.to.includes(a));
  }

  async stop(): Promise<void> {
    await this.close();
    this.lmtp.close();
  }
}
