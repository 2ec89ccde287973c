import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Integration runs must leave no server behind. The devstack notes the pid of
 * every Dovecot and redis-server it spawns in COALITION_PID_DIR (set here,
 * before the test workers start, so they inherit it); after the run, any of
 * them still alive a few seconds later fails the run, with its pid.
 */

const dir = mkdtempSync(join(tmpdir(), 'pids-'));

function alive(pid: number): boolean {
  try {
    const state = /State:\s+(\S)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}

export function setup(): void {
  process.env.COALITION_PID_DIR = dir;
}

export async function teardown(): Promise<void> {
  const file = join(dir, 'pids');
  const spawned = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => [Number(l.split(' ')[0]), l] as const)
    : [];
  let leaked: (readonly [number, string])[] = [];
  for (let i = 0; i < 30; i++) {
    leaked = spawned.filter(([pid]) => alive(pid));
    if (leaked.length === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  rmSync(dir, { recursive: true, force: true });
  if (leaked.length) throw new Error(`the integration tests left servers running: ${leaked.map(([, l]) => l).join('; ')}`);
}
