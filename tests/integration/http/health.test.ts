import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { startService, type RunningService } from '../../../src/cli/service.ts';
import { startOwnRedis } from '../../../src/devstack/redis.ts';
import { waitForMessages } from '../../harness/mailbox.ts';
import { COORDINATOR_A, CSO, LIST, startStack, type Stack } from '../../harness/stack.ts';
import { replyTo, sendJoinRequest } from '../flow/desk.ts';

/**
 * /healthz, /readyz and /metrics of a running desk: the counters move while a
 * join request goes through the whole story, and readiness fails while Redis
 * is stopped (a throw-away redis-server of this test, stopped and started again
 * on its port).
 */

type Samples = Map<string, number>;

/** Prometheus text → "name{labels}" → value. */
function parse(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (m) out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

async function scrape(url: string): Promise<Samples> {
  const res = await fetch(new URL('metrics', url));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(await res.text());
}

/** Scrapes until every expectation holds: a counter moves a moment after the mail it counts lands. */
async function until(url: string, want: Record<string, number>, timeoutMs = 15_000): Promise<Samples> {
  const t0 = Date.now();
  for (;;) {
    const s = await scrape(url);
    const missing = Object.entries(want).filter(([k, v]) => (s.get(k) ?? 0) < v);
    if (!missing.length) return s;
    if (Date.now() - t0 > timeoutMs) throw new Error(`metrics never reached ${JSON.stringify(Object.fromEntries(missing))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('/metrics during the whole story of a join request', () => {
  let stack: Stack;
  let service: RunningService;
  let url: string;

  beforeAll(async () => {
    stack = await startStack({ env: { UNDO_WINDOW: '0', IMAP_POLL_INTERVAL: '1s', HTTP_PORT: '0' } });
    service = await startService(loadConfig(stack.env, null), silentLogger);
    url = service.http?.url ?? '';
  });
  afterAll(async () => {
    await service?.close();
    await stack?.stop();
  });

  it('listens on loopback only, and says the process is up', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(new URL('healthz', url));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('moves the counters: ingested, processed, decided, mails sent, acknowledgement latency, requests by status', async () => {
    const before = await until(url, { coalition_imap_connected: 1, coalition_watcher_lock_held: 1 });
    expect(before.get('coalition_decisions_total{outcome="approve"}') ?? 0).toBe(0);
    expect(before.get('coalition_ack_latency_seconds_count')).toBe(0);
    expect(before.get('coalition_requests{status="pending"}')).toBe(0);
    expect(before.get('coalition_queue_jobs{queue="inbound",state="waiting"}')).toBe(0);

    await sendJoinRequest(stack);
    const [approval] = await waitForMessages(stack.dovecot, COORDINATOR_A, { match: (m) => /REQ-/.test(m.subject) });
    const pending = await until(url, {
      'coalition_messages_ingested_total{disposition="processed"}': 1,
      'coalition_messages_processed_total{outcome="request_created"}': 1,
      'coalition_mails_sent_total{kind="acknowledgement"}': 1,
      'coalition_mails_sent_total{kind="approval_request"}': 2,
      coalition_ack_latency_seconds_count: 1,
      'coalition_requests{status="pending"}': 1,
    });
    expect(pending.get('coalition_decisions_total{outcome="approve"}') ?? 0).toBe(0);

    await replyTo(stack, approval!, { from: COORDINATOR_A, text: 'PO', dkim: false });
    await waitForMessages(stack.dovecot, CSO, { match: (m) => /u miratua/.test(m.subject) });
    await waitForMessages(stack.dovecot, LIST);
    const after = await until(url, {
      'coalition_messages_ingested_total{disposition="processed"}': 2,
      'coalition_messages_processed_total{outcome="decision"}': 1,
      'coalition_decisions_total{outcome="approve"}': 1,
      'coalition_mails_sent_total{kind="approved"}': 1,
      'coalition_mails_sent_total{kind="statement_update"}': 1,
      'coalition_requests{status="approved"}': 1,
    });
    expect(after.get('coalition_requests{status="pending"}')).toBe(0);
    expect(after.get('coalition_ack_latency_seconds_count')).toBe(1);
    expect(after.get('coalition_mails_failed_total{kind="acknowledgement"}') ?? 0).toBe(0);
    expect(after.get('coalition_imap_reconnects_total')).toBe(0);
  });

  it('is ready while Redis, the mailbox and SMTP answer and the watcher holds the lock', async () => {
    const res = await fetch(new URL('readyz', url));
    const body = (await res.json()) as { ready: boolean; checks: { name: string; ok: boolean }[] };
    expect(body.checks.map((c) => [c.name, c.ok])).toEqual([
      ['redis', true],
      ['imap', true],
      ['smtp', true],
      ['watcher', true],
    ]);
    expect(res.status).toBe(200);
  });
});

describe('/readyz when Redis stops', () => {
  let stack: Stack;
  let service: RunningService;
  let redis: Awaited<ReturnType<typeof startOwnRedis>>;
  let url: string;

  beforeAll(async () => {
    redis = await startOwnRedis();
    stack = await startStack({ env: { HTTP_PORT: '0', REDIS_URL: redis.url } });
    service = await startService(loadConfig(stack.env, null), silentLogger, ['processor', 'mailer']);
    url = service.http?.url ?? '';
  });
  afterAll(async () => {
    await service?.close();
    await stack?.stop();
    await redis?.stop();
  });

  const ready = async (): Promise<{ status: number; checks: { name: string; ok: boolean; detail: string }[] }> => {
    const res = await fetch(new URL('readyz', url));
    return { status: res.status, checks: ((await res.json()) as { checks: { name: string; ok: boolean; detail: string }[] }).checks };
  };

  it('fails naming Redis while it is stopped, stays healthy, and is ready again once Redis is back', async () => {
    expect((await ready()).status).toBe(200);

    await redis.stop();
    const down = await ready();
    expect(down.status).toBe(503);
    expect(down.checks.find((c) => c.name === 'redis')).toMatchObject({ ok: false });
    expect(down.checks.find((c) => c.name === 'smtp')).toMatchObject({ ok: true });
    expect((await fetch(new URL('healthz', url))).status).toBe(200);

    redis = await startOwnRedis({ port: redis.port });
    const t0 = Date.now();
    let back = await ready();
    while (back.status !== 200 && Date.now() - t0 < 15_000) {
      await new Promise((r) => setTimeout(r, 200));
      back = await ready();
    }
    expect(back.status).toBe(200);
  });
});
