import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { exportData } from '../../../src/adapters/redis/backup.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { flowSettings } from '../../../src/app/flow.ts';
import { deletePrefix, startRedis, type DevRedis } from '../../../src/devstack/redis.ts';
import { createRequest } from '../../../src/domain/request.ts';
import { buildFlow } from '../../../workers/processor.ts';
import { runCli } from '../../harness/cli.ts';

/**
 * `coalition import` of a backup with many requests, its stderr a pipe (not a terminal): plain progress
 * lines, one every tenth of the requests, the last count at the end; no carriage return, no escape
 * sequence, and nothing on stdout. Only Redis is needed: the restore schedules timers, it sends nothing.
 */
const REQUESTS = 25;

describe('coalition import, not on a terminal', () => {
  let devRedis: DevRedis;
  let redis: Redis;
  const prefix = `t-${process.pid}-${randomBytes(4).toString('hex')}`;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'import-progress-'));

  beforeAll(async () => {
    devRedis = await startRedis();
    redis = new Redis(devRedis.url, { maxRetriesPerRequest: null });
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      REDIS_URL: devRedis.url,
      REDIS_PREFIX: prefix,
      COALITION_ADDRESS: 'info@example.org',
      COORDINATORS: 'ana@coord.example.org,besa@coord.example.org',
      COORDINATOR_AUTH: 'token',
      TOKEN_SECRET: randomBytes(32).toString('hex'),
    };
  });
  afterAll(async () => {
    await deletePrefix(redis, prefix).catch(() => undefined);
    await redis?.quit();
    await devRedis?.stop();
  });

  it('writes a plain line every tenth of the requests on stderr, and nothing on stdout', async () => {
    const config = loadConfig(env, null);
    const parts = await buildFlow({ config, redis, logger: silentLogger });
    try {
      for (let i = 0; i < REQUESTS; i++) {
        const address = `contact${i}@cso${i}.example.net`;
        const messageId = `<import-${i}@cso${i}.example.net>`;
        const result = createRequest(
          {
            id: `REQ-${'23456789ABCDEFGHJKMNPQRSTVWXYZ'[i]}MP7R`,
            kind: 'join',
            organization: { name: `Shoqata ${i}`, acronym: null, city: 'Tiranë', website: null },
            contact: { name: null, email: address, phone: null },
            replyAddress: address,
            senderAddress: address,
            language: 'sq',
            originalMessageId: messageId,
            references: [],
            originalSubject: 'Kërkesë për anëtarësim',
            excerpt: 'Dëshirojmë të bashkohemi',
            missing: [],
            receivedAt: new Date(),
          },
          { now: new Date(), settings: flowSettings(config) },
        );
        const { id } = await parts.store.create(result, messageId);
        // As if the desk had performed them: the restore then only schedules timers again.
        await parts.store.completeEffects(id, await parts.store.pendingEffects(id));
      }
    } finally {
      await parts.close();
    }
    const file = join(dir, 'backup.json');
    writeFileSync(file, JSON.stringify(await exportData(redis, keyspace(prefix))));
    await deletePrefix(redis, prefix);

    const r = await runCli(['import', file], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).not.toContain('\x1b');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines[0]).toMatch(/^imported \d+ keys$/);
    expect(lines.at(-1)).toMatch(/^scheduled [1-9]\d* timer\(s\) for 25 request\(s\)/);
    const counts = lines.slice(1, -1).map((l) => {
      const m = /^restored (\d+) \/ 25 requests$/.exec(l);
      expect(m, l).not.toBeNull();
      return Number(m![1]);
    });
    // Every tenth (a line every 3), the last count once; a slow machine may add a line every few seconds.
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(new Set(counts).size).toBe(counts.length);
    expect(counts).toEqual(expect.arrayContaining([3, 6, 9, 12, 15, 18, 21, 24]));
    expect(counts.at(-1)).toBe(REQUESTS);
  });
});
