import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../harness/stack.ts';
import { runCli } from '../../harness/cli.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('coalition doctor', () => {
  it('reports every check as working against a healthy stack and exits 0', async () => {
    const r = await runCli(['doctor'], stack.env);
    expect(r.stdout).toMatch(/ok\s+redis/);
    expect(r.stdout).toMatch(/ok\s+imap\s+logged in as info@example.org/);
    expect(r.stdout).toMatch(/ok\s+smtp/);
    expect(r.code).toBe(0);
  });

  it('names the IMAP login as the failure for a wrong password, without printing it', async () => {
    const password = 'wrong-Pa55word-xyz';
    const r = await runCli(['doctor'], { ...stack.env, IMAP_PASSWORD: password });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/FAIL\s+imap\s+IMAP login failed/);
    expect(r.stdout + r.stderr).not.toContain(password);
    expect(r.stdout).toMatch(/ok\s+redis/);
  });

  it('names an unreachable SMTP server', async () => {
    const r = await runCli(['doctor'], { ...stack.env, SMTP_PORT: '1' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+smtp\s+SMTP connection failed/);
  });

  it('stops on bad configuration with one line naming every bad setting', async () => {
    const r = await runCli(['doctor'], { ...stack.env, IMAP_PORT: 'x', COORDINATORS: 'nobody' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+config .*IMAP_PORT.*COORDINATORS/);
  });
});

describe('coalition command line', () => {
  it('prints help listing its commands', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['start', 'doctor', 'parse', 'statement', 'requests']) expect(r.stdout).toContain(cmd);
  });

  it('answers an unknown command with one line and a non-zero exit', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('answers a bad --only with one line and a non-zero exit', async () => {
    const r = await runCli(['start', '--only', 'watcher,bogus'], stack.env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(/^coalition: --only takes/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
