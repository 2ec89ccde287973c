import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { recordPid } from './pids.ts';
import { freePort } from './ports.ts';

/**
 * A Redis for tests and the sandbox: the one at REDIS_URL (or 127.0.0.1:6379)
 * when it answers, else a throw-away redis-server on a free port.
 */
export interface DevRedis {
  url: string;
  /** Pid of the redis-server this process started, if it started one. */
  pid?: number;
  stop(): Promise<void>;
}

export async function answers(url: string, connectTimeout = 1000): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

export async function startRedis(preferred = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'): Promise<DevRedis> {
  if (await answers(preferred)) return { url: preferred, stop: async () => undefined };
  return startOwnRedis();
}

/** redis-server is not on this machine (spawning it failed with ENOENT). */
export class NoRedisServer extends Error {
  constructor() {
    super('redis-server is not installed (apt-get install redis-server)');
    this.name = 'NoRedisServer';
  }
}

/**
 * A throw-away redis-server of this process's own, on a free loopback port,
 * with no persistence: stop() (or this process's exit) ends it and removes its
 * directory, so nothing is left behind. `detached` puts it in its own process
 * group, so a Ctrl-C in the terminal does not kill it before the desk has
 * drained (the desk stops it itself, after its workers).
 */
export async function startOwnRedis(o: { detached?: boolean; port?: number } = {}): Promise<DevRedis & { pid: number; dir: string; port: number }> {
  const port = o.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore', detached: o.detached ?? false },
  );
  let missing = false;
  child.once('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') missing = true;
  });
  recordPid(child.pid, `redis-server ${port}`);
  const kill = (): void => void child.kill('SIGKILL');
  process.once('exit', kill);
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
    child.once('error', () => r());
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !missing && !(await answers(url)); i++) await new Promise((r) => setTimeout(r, 100));
  if (missing || child.pid === undefined || !(await answers(url))) {
    child.kill('SIGKILL');
    process.removeListener('exit', kill);
    rmSync(dir, { recursive: true, force: true });
    if (missing || child.pid === undefined) throw new NoRedisServer();
    throw new Error('redis-server did not start');
  }
  return {
    url,
    pid: child.pid,
    dir,
    port,
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      process.removeListener('exit', kill);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Deletes every key under `prefix:` (and nothing else: the Redis may be shared). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) n += await redis.unlink(...keys);
  } while (cursor !== '0');
  return n;
}
