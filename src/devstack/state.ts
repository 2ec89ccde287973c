import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Where a running sandbox says where it runs: `.sandbox/state.json` in the
 * directory `coalition start` (or `coalition sandbox`) was started from — the
 * checkout, for `npm start`. Every `coalition` command run in that directory or
 * below it finds the file by walking up (as git finds .git), so `coalition
 * requests`, `doctor` or `approve` talk to the sandbox without any setting. The
 * file is removed when the sandbox stops; one whose process is gone is stale and
 * ignored.
 */

export const STATE_DIR = '.sandbox';
export const STATE_FILE = 'state.json';

export const SandboxStateSchema = z.object({
  version: z.literal(1),
  pid: z.number().int().positive(),
  startedAt: z.string(),
  /** The settings the sandbox desk runs with: what another command needs to reach the same desk. */
  env: z.record(z.string(), z.string()),
  imapPort: z.number().int(),
  smtpPort: z.number().int(),
  password: z.string(),
  /** The status page, when it is on. */
  httpUrl: z.string().nullable().default(null),
});
export type SandboxState = z.output<typeof SandboxStateSchema>;

export function statePath(dir: string): string {
  return join(resolve(dir), STATE_DIR, STATE_FILE);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function read(path: string): SandboxState | null {
  try {
    const parsed = SandboxStateSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The live sandbox whose state file is in `from` or a directory above it, if any. */
export function findSandbox(from: string = process.cwd()): { path: string; state: SandboxState } | null {
  let dir = resolve(from);
  for (;;) {
    const path = statePath(dir);
    if (existsSync(path)) {
      const state = read(path);
      if (state && alive(state.pid)) return { path, state };
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Written whole, then renamed into place: a command never reads half a file. Readable by its owner only. */
export function writeState(dir: string, state: SandboxState): string {
  const path = statePath(dir);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  return path;
}

/** Removes the state file if it is still this process's (a second sandbox may have replaced it). */
export function removeState(path: string, pid = process.pid): void {
  const state = read(path);
  if (state && state.pid !== pid) return;
  rmSync(path, { force: true });
}
