import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { WatcherTuning } from '../../workers/watcher.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface ChildWatcher {
  child: ChildProcess;
  /** Every event line printed so far. */
  events: { event: string; [k: string]: unknown }[];
  /** Resolves once `pred` holds for the events seen so far. */
  waitFor(pred: (events: ChildWatcher['events']) => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (null after a signal). */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

/** Runs workers/watcher.ts in a child process (see watcher-child.ts). */
export function spawnWatcher(env: Record<string, string>, tuning?: WatcherTuning): ChildWatcher {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/harness/watcher-child.ts')], {
    cwd: ROOT,
    env: { ...process.env, WATCHER_CHILD: JSON.stringify({ env, tuning }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: ChildWatcher['events'] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as ChildWatcher['events'][number]);
    } catch {
      return;
    }
    for (const w of waiters) w();
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  return {
    child,
    events,
    exited,
    kill: (signal) => void child.kill(signal),
    waitFor(pred, timeoutMs = 20_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (pred(events)) {
            cleanup();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`child watcher: condition not met in ${timeoutMs} ms; stderr: ${stderr.slice(-1500)}`));
        }, timeoutMs);
        const onExit = (): void => {
          cleanup();
          reject(new Error(`child watcher exited early; stderr: ${stderr.slice(-1500)}`));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          child.removeListener('exit', onExit);
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
  };
}
