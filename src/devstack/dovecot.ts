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
   * The sandbox: every address logs in with this password and gets its own
   * mailbox, made by Dovecot on first login or delivery (static passdb and
   * userdb). `users` is then only the list the banner shows.
   */
  anyUserPassword?: string;
  /** Its own process group, so a Ctrl-C in the terminal reaches only the desk, which stops Dovecot in order. */
  detached?: boolean;
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

function conf(runDir: string, mailDir: string, imapPort: number, lmtpPort: number, anyUserPassword?: string): string {
  return `instance_name = coalition-${imapPort}
base_dir = ${runDir}/run
state_dir = ${runDir}/state
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
log_path = /dev/stderr
info_log_path = /dev/stderr
first_valid_uid = 8
mail_location = maildir:~/Maildir
mailbox_idle_check_interval = 1 secs
auth_master_user_separator = *
lmtp_save_to_detail_mailbox = no
passdb {
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
      o.anyUserPassword,
      o.detached ?? false,
    );
    writeFileSync(join(runDir, 'dovecot.conf'), conf(runDir, mailDir, d.imapPort, d.lmtpPort, o.anyUserPassword));
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
