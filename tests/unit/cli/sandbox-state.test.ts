import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import { withDeskFlow, type DeskSettings } from '../../../src/cli/desk-settings.ts';
import { findSandbox, removeState, writeState, type SandboxState } from '../../../src/devstack/state.ts';

const state = (pid: number): SandboxState => ({
  version: 1,
  pid,
  startedAt: '2026-12-01T10:00:00.000Z',
  env: { REDIS_URL: 'redis://127.0.0.1:1' },
  imapPort: 3143,
  smtpPort: 3025,
  password: 'sandbox',
  httpUrl: null,
});

describe('the sandbox state file', () => {
  it('is found from the directory it was written in and from any directory below it', () => {
    const root = mkdtempSync(join(tmpdir(), 'state-'));
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    const path = writeState(root, state(process.pid));
    expect(findSandbox(join(root, 'a', 'b'))?.path).toBe(path);
    removeState(path);
    expect(findSandbox(root)).toBeNull();
  });

  it('is ignored when the sandbox that wrote it is no longer running', () => {
    const root = mkdtempSync(join(tmpdir(), 'state-'));
    writeState(root, state(2 ** 22 + 12345)); // above the kernel's pid_max default: no such process
    expect(findSandbox(root)).toBeNull();
  });
});

describe("the running desk's flow settings", () => {
  const config = loadConfig({ COALITION_ADDRESS: 'info@example.org', COORDINATORS: 'ana@example.org', UNDO_WINDOW: '15m' }, null);
  const desk: DeskSettings = {
    UNDO_WINDOW: 60_000,
    APPROVALS_REQUIRED: 1,
    REMINDER_AFTER: config.REMINDER_AFTER,
    REQUEST_TTL: config.REQUEST_TTL,
    COORDINATOR_AUTH: 'token',
    host: 'desk.example.org',
    pid: 42,
    since: '2026-12-01T10:00:00.000Z',
    workers: ['processor'],
  };

  it('replace the shell’s own and say which differ', () => {
    const r = withDeskFlow(config, desk);
    expect(r.config.UNDO_WINDOW).toBe(60_000);
    expect(r.note).toBe("using the running desk's UNDO_WINDOW=1m (pid 42 on desk.example.org; this shell says UNDO_WINDOW=15m)");
  });

  it('change nothing and say nothing when no desk runs or when they agree', () => {
    expect(withDeskFlow(config, null)).toEqual({ config, note: null });
    expect(withDeskFlow(config, { ...desk, UNDO_WINDOW: config.UNDO_WINDOW }).note).toBeNull();
  });
});
