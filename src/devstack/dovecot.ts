import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordPid } from './pids.ts';
import { freePort, waitForGreeting } from './ports.ts';

/**
 * A throw-away Dovecot (IMAP + LMTP) for tests and the local sandbox: its own
 * config, ports, passwd-file and Maildirs, never touching the system instance.
 * Dovecot 2.3 (Debian 12) syntax; see the README's "Mail test stack".
 */

export const DOVECOT_BIN = '/usr/sbin/dovecot';
export const MASTER = { user: 'testmaster', pass: 'master-secret' };

export interface DovecotOptions {
  users: Record<string, string>;
  /** Where the Maildirs live; a temp dir (removed on stop) when omitted. */
  mailDir?: string;
  imapPort?: number;
  lmtpPort?: number;
  /**
   * Also accept OAuth 2.0 bearer tokens, through Dovecot 2.3's oauth2 passdb:
   * each login POSTs the token to this RFC 7662 introspection URL (userinfo in
   * the URL becomes HTTP Basic auth). Passwords keep working.
   */
  oauth2?: {
    introspectionUrl: string;
    /** SASL mechanisms offered; XOAUTH2 only by default, as Exchange Online (Gmail offers OAUTHBEARER too). */
    mechanisms?: ('xoauth2' | 'oauthbearer')[];
    /** A scope the introspection answer must list, or the login is refused. */
    scope?: string;
  };
  /** Capabilities taken out of CAPABILITY after login (MOVE, UIDPLUS, IDLE…), to play an older server. */
  withoutCapabilities?: string[];
  /** Hierarchy separator clients see: "." (Maildir++, the default) or "/" (as Gmail and Exchange Online show). */
  separator?: '.' | '/';
  /** Log every save, copy and expunge with the message's flags (the mail_log plugin): a MOVE expunges without \Deleted. */
  mailLog?: boolean;
  /**
   * The sandbox: every address logs in with this password and gets its own
   * mailbox, made by Dovecot on first login or delivery (static passdb and
   * userdb). `users` is then only the list the banner shows.
   */
  anyUserPassword?: string;
  /** Its own process group, so a Ctrl-C in the terminal reaches only the desk, which stops Dovecot in order. */
  detached?: boolean;
}

/** Dovecot 2.3.19's CAPABILITY after login, with this config; withoutCapabilities removes from it. */
export const DEFAULT_CAPABILITIES =
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT ' +
  'MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ' +
  'ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY';

type Extras = Pick<DovecotOptions, 'oauth2' | 'withoutCapabilities' | 'separator' | 'mailLog'>;

/**
 * Additions to the base config, each only when asked for, so the default
 * instance stays exactly as before. The oauth2 passdb comes first, limited to
 * the OAuth mechanisms: Dovecot 2.3 hands the token to the passdbs as if it
 * were a password (mech-oauth2.c), and the passwd-file must not see it.
 */
function extras(runDir: string, x: Extras): { auth: string; passdb: string; rest: string } {
  let auth = 'plain login';
  let passdb = '';
  const rest: string[] = [];
  if (x.oauth2) {
    const mechs = x.oauth2.mechanisms ?? ['xoauth2'];
    auth = `plain login ${mechs.join(' ')}`;
    passdb = `passdb {
  driver = oauth2
  mechanisms = ${mechs.join(' ')}
  args = ${runDir}/dovecot-oauth2.conf.ext
}
`;
  }
  if (x.withoutCapabilities?.length) {
    const drop = new Set(x.withoutCapabilities.map((c) => c.toUpperCase()));
    rest.push(`imap_capability = ${DEFAULT_CAPABILITIES.split(' ').filter((c) => !drop.has(c)).join(' ')}`);
  }
  if (x.separator && x.separator !== '.') {
    rest.push(`namespace inbox {
  inbox = yes
  separator = ${x.separator}
}`);
  }
  if (x.mailLog) {
    rest.push(`mail_plugins = $mail_plugins mail_log notify
plugin {
  mail_log_events = save copy expunge mailbox_create
  mail_log_fields = uid box msgid flags
}`);
  }
  return { auth, passdb, rest: rest.length ? `${rest.join('\n')}\n` : '' };
}

/**
 * The oauth2 passdb's own settings file (Dovecot 2.3 syntax; 2.4 moved these
 * into an oauth2 {} block). Only introspection: without tokeninfo_url Dovecot
 * POSTs token=… to introspection_url at every login (no auth cache here), so an
 * expired or revoked token is refused at the next login.
 */
function oauth2Conf(o: NonNullable<DovecotOptions['oauth2']>): string {
  return `introspection_mode = post
introspection_url = ${o.introspectionUrl}
username_attribute = username
active_attribute = active
active_value = true
${o.scope ? `scope = ${o.scope}\n` : ''}timeout_msecs = 5000
`;
}

function accounts(runDir: string, mailDir: string, anyUserPassword: string | undefined): string {
  if (anyUserPassword !== undefined) {
    return `passdb {
  driver = static
  args = password=${anyUserPassword}
}
userdb {
  driver = static
  args = uid=mail gid=mail home=${mailDir}/%d/%n allow_all_users=yes
}`;
  }
  return `passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${runDir}/users
}
userdb {
  driver = static
  args = uid=mail gid=mail home=${mailDir}/%d/%n
}`;
}

function conf(runDir: string, mailDir: string, imapPort: number, lmtpPort: number, x: Extras = {}, anyUserPassword?: string): string {
  const e = extras(runDir, x);
  return `instance_name = coalition-${imapPort}
base_dir = ${runDir}/run
state_dir = ${runDir}/state
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = ${e.auth}
auth_failure_delay = 0
log_path = /dev/stderr
info_log_path = /dev/stderr
first_valid_uid = 8
mail_location = maildir:~/Maildir
mailbox_idle_check_interval = 1 secs
auth_master_user_separator = *
lmtp_save_to_detail_mailbox = no
${e.rest}${e.passdb}passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${runDir}/master-users
  master = yes
  result_success = continue
}
${accounts(runDir, mailDir, anyUserPassword)}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${lmtpPort}
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
protocol imap {
  mail_max_userip_connections = 200
}
`;
}

export class Dovecot {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private logText = '';
  private readonly killOnExit = (): void => {
    this.child?.kill('SIGKILL');
  };

  private constructor(
    readonly runDir: string,
    readonly mailDir: string,
    private readonly ownsMailDir: boolean,
    readonly imapPort: number,
    readonly lmtpPort: number,
    private readonly users: Map<string, string>,
    readonly extras: Extras,
    private readonly anyUserPassword: string | undefined,
    private readonly detached: boolean,
  ) {}

  static async start(o: DovecotOptions): Promise<Dovecot> {
    if (!existsSync(DOVECOT_BIN)) {
      throw new Error(`Dovecot is not installed (${DOVECOT_BIN}); on Debian/Ubuntu: apt-get install dovecot-imapd dovecot-lmtpd`);
    }
    // Short path: Dovecot's unix sockets must stay under ~100 characters.
    const runDir = mkdtempSync(join(tmpdir(), 'dvc-'));
    chmodSync(runDir, 0o755); // the auth process runs as "dovecot" and must read the passwd-files
    const mailDir = o.mailDir ?? join(runDir, 'mail');
    mkdirSync(mailDir, { recursive: true });
    chmodSync(mailDir, 0o777); // mail is written as uid 8 ("mail")
    const d = new Dovecot(
      runDir,
      mailDir,
      o.mailDir === undefined,
      o.imapPort ?? (await freePort()),
      o.lmtpPort ?? (await freePort()),
      new Map(Object.entries(o.users)),
      { oauth2: o.oauth2, withoutCapabilities: o.withoutCapabilities, separator: o.separator, mailLog: o.mailLog },
      o.anyUserPassword,
      o.detached ?? false,
    );
    writeFileSync(join(runDir, 'dovecot.conf'), conf(runDir, mailDir, d.imapPort, d.lmtpPort, d.extras, o.anyUserPassword));
    // Read by the auth process, which runs as the dovecot user.
    if (o.oauth2) writeFileSync(join(runDir, 'dovecot-oauth2.conf.ext'), oauth2Conf(o.oauth2), { mode: 0o644 });
    writeFileSync(join(runDir, 'master-users'), `${MASTER.user}:{PLAIN}${MASTER.pass}\n`);
    d.writeUsers();
    await d.run();
    return d;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  log(): string {
    return this.logText;
  }

  hasUser(address: string): boolean {
    return this.anyUserPassword !== undefined || this.users.has(address.toLowerCase());
  }

  /** Adds a mailbox at run time (Dovecot re-reads the passwd-file when it changes). */
  addUser(address: string, password: string): void {
    const key = address.toLowerCase();
    if (this.anyUserPassword !== undefined) return; // every address is a user already
    if (this.users.has(key)) return;
    if (/[:\s]/.test(key)) throw new Error(`not a mailbox name: ${address}`);
    this.users.set(key, password);
    appendFileSync(join(this.runDir, 'users'), `${key}:{PLAIN}${password}\n`);
  }

  passwordOf(address: string): string | undefined {
    return this.anyUserPassword ?? this.users.get(address.toLowerCase());
  }

  private writeUsers(): void {
    writeFileSync(
      join(this.runDir, 'users'),
      [...this.users].map(([u, p]) => `${u.toLowerCase()}:{PLAIN}${p}\n`).join(''),
    );
  }

  private async run(): Promise<void> {
    const child = spawn(DOVECOT_BIN, ['-F', '-c', join(this.runDir, 'dovecot.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: this.detached,
    });
    this.child = child;
    recordPid(child.pid, `dovecot ${this.runDir}`);
    this.logText = '';
    child.stdout?.on('data', (b: Buffer) => (this.logText += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (this.logText += b.toString()));
    this.exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.once('exit', this.killOnExit); // a dying test runner leaves no Dovecot behind
    const died = this.exited.then(() => {
      throw new Error(`dovecot exited during start:\n${this.logText.slice(-2000)}`);
    });
    died.catch(() => undefined);
    try {
      await Promise.race([waitForGreeting(this.imapPort, 10_000), died]);
    } catch (err) {
      child.kill('SIGKILL');
      await this.exited;
      process.removeListener('exit', this.killOnExit);
      throw err;
    }
  }

  /** Stops the server process but keeps its ports, users and mail (an outage). */
  async halt(): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (this.running) child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
    process.removeListener('exit', this.killOnExit);
    this.child = null;
  }

  /** Starts the server again after halt(), on the same ports with the same mail. */
  async resume(): Promise<void> {
    if (this.running) return;
    await this.run();
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.runDir, { recursive: true, force: true });
    if (this.ownsMailDir) rmSync(this.mailDir, { recursive: true, force: true });
  }
}
