import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answers } from '../../../src/devstack/redis.ts';
import { SandboxStateSchema, statePath, type SandboxState } from '../../../src/devstack/state.ts';
import { BIN, type CliResult } from '../../harness/cli.ts';

/**
 * `coalition sandbox` with the commands that play both sides of the story
 * (`sandbox send`, `sandbox reply`), and the other commands run in the same
 * directory with no setting at all: they find the running sandbox through its
 * state file and say so.
 */

const dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
const BASE_ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
let child: ChildProcess;
let stderr = '';
let exit: Promise<number | null>;
let state: SandboxState;

/** The real `coalition` command, run in the sandbox's directory with only PATH and HOME (plus `env`). */
function coalition(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let err = '';
    c.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    c.stderr.on('data', (b: Buffer) => (err += b.toString()));
    c.once('error', reject);
    c.once('close', (code) => resolve({ code, stdout, stderr: err }));
  });
}

function imap(user: string): ImapFlow {
  const c = new ImapFlow({ host: '127.0.0.1', port: state.imapPort, secure: false, doSTARTTLS: false, logger: false, auth: { user, pass: 'sandbox' } });
  c.on('error', () => undefined);
  return c;
}

async function subjects(user: string): Promise<string[]> {
  const c = imap(user);
  await c.connect();
  try {
    const lock = await c.getMailboxLock('INBOX');
    try {
      const out: string[] = [];
      for await (const m of c.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await c.logout().catch(() => undefined);
  }
}

async function arrival(user: string, re: RegExp, timeoutMs = 30_000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const hit = (await subjects(user)).find((s) => re.test(s));
    if (hit) return hit;
    if (Date.now() - t0 > timeoutMs) throw new Error(`no mail matching ${String(re)} for ${user}:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  child = spawn(process.execPath, [BIN, 'sandbox'], {
    cwd: dir,
    env: { ...BASE_ENV, LOG_LEVEL: 'warn', UNDO_WINDOW: '2s' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  exit = new Promise((r) => child.once('exit', (code) => r(code)));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const t0 = Date.now();
  while (!stderr.includes('Ctrl-C stops')) {
    if (Date.now() - t0 > 30_000 || child.exitCode !== null) throw new Error(`sandbox did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  state = SandboxStateSchema.parse(JSON.parse(readFileSync(statePath(dir), 'utf8')));
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await exit;
  }
});

describe('coalition sandbox, sandbox send and sandbox reply', () => {
  it('prints the settings in force and the next commands on its banner', () => {
    expect(stderr).toMatch(/Settings in force:.*COORDINATOR_AUTH=token.*UNDO_WINDOW=2s/);
    expect(stderr).toContain('coalition sandbox send --from');
    expect(stderr).toContain('coalition sandbox reply REQ-');
    expect(stderr).toContain(statePath(dir));
  });

  it('runs its own redis-server, not the Redis the machine may have', async () => {
    expect(state.env.REDIS_URL).not.toBe('redis://127.0.0.1:6379');
    expect(await answers(state.env.REDIS_URL as string)).toBe(true);
  });

  it('lets any address log in with the sandbox password before anything was delivered to it', async () => {
    expect(await subjects('someone-new@watching.example.net')).toEqual([]);
  });

  let ref = '';
  it('plays the story: send → acknowledgement and approval request → reply PO → decision, confirmation, statement v2', async () => {
    const sent = await coalition(['sandbox', 'send', '--from', 'drita@zeri.example.net', '--org', 'Shoqata Zëri i Drites']);
    expect(sent.code).toBe(0);
    ref = /(REQ-[A-Z0-9]+)\s+pending/.exec(sent.stdout)?.[1] ?? '';
    expect(ref, sent.stdout + sent.stderr).toMatch(/^REQ-/);

    expect(await arrival('drita@zeri.example.net', new RegExp(`Konfirmim marrjeje.*\\[${ref}\\]`))).toBeTruthy();
    expect(await arrival('ana@example.org', new RegExp(`Kërkesë për miratim: Shoqata Zëri i Drites \\[${ref}\\]`))).toBeTruthy();

    const replied = await coalition(['sandbox', 'reply', ref, 'PO']);
    expect(replied.code).toBe(0);
    expect(replied.stdout).toMatch(new RegExp(`${ref}\\s+decided_pending_undo`));
    expect(replied.stdout).toMatch(/decided_approve by ana@example.org/);

    expect(await arrival('drita@zeri.example.net', new RegExp(`u miratua \\[${ref}\\]`))).toBeTruthy();
    expect(await arrival('members@example.org', /versioni 2/)).toBeTruthy();
    const signatories = await coalition(['signatories']);
    expect(signatories.stdout).toMatch(/10\. Shoqata Zëri i Drites/);
    expect(signatories.stdout).toContain('(statement version 2');
  });

  it('lets every other command in the directory talk to the sandbox without any setting, saying so on one line', async () => {
    const listed = await coalition(['requests']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${ref}\\s+approved`));
    const said = listed.stderr.split('\n').filter((l) => l.includes('using the sandbox running here'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(String(state.pid));

    const doctor = await coalition(['doctor']);
    expect(doctor.stdout).toMatch(/ok\s+config .*auth mode token/);
    expect(doctor.stdout).toMatch(/ok\s+imap\s+logged in as info@example.org/);
    expect(doctor.stdout).toMatch(/ok\s+smtp/);
    expect(doctor.code).toBe(0);
  });

  it("decides from the command line with the running desk's UNDO_WINDOW", async () => {
    const sent = await coalition(['sandbox', 'send', '--from', 'besnik@agora.example.net', '--org', 'Qendra Agora Civile']);
    const second = /(REQ-[A-Z0-9]+)\s+pending/.exec(sent.stdout)?.[1] ?? '';
    expect(second, sent.stdout + sent.stderr).toMatch(/^REQ-/);
    // This shell says 15m and names the sandbox's servers itself (so the state file is not used):
    // the desk running on that Redis says 2s, and that is what counts.
    const approved = await coalition(['approve', second, '--by', 'besa@example.org'], { ...state.env, UNDO_WINDOW: '15m' });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stderr).toMatch(/using the running desk's UNDO_WINDOW=2s .*this shell says UNDO_WINDOW=15m/);
    const shown = await coalition(['request', second, '--json']);
    const r = JSON.parse(shown.stdout) as { decision: { at: string; effectiveAt: string } };
    expect(new Date(r.decision.effectiveAt).getTime() - new Date(r.decision.at).getTime()).toBe(2000);
  });

  it('leaves nothing behind on Ctrl-C: its Redis, Dovecot and state file are gone', async () => {
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(existsSync(statePath(dir))).toBe(false);
    expect(await answers(state.env.REDIS_URL as string)).toBe(false);
    await expect(subjects('ana@example.org')).rejects.toThrow();
    const after = await coalition(['requests']);
    expect(after.stderr).not.toContain('using the sandbox');
  });
});
