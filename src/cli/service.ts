import { Redis } from 'ioredis';
import type { Config } from '../../config/schema.ts';
import { DeskData } from '../adapters/http/desk-data.ts';
import { readiness, type WatcherView } from '../adapters/http/health.ts';
import { DeskMetrics, mailKind } from '../adapters/http/metrics.ts';
import { startHttp, type RunningHttp } from '../adapters/http/server.ts';
import { statusRoutes } from '../adapters/http/status.ts';
import { createRedis } from '../adapters/redis/connection.ts';
import type { Logger } from '../adapters/log.ts';
import type { FlowHook } from '../app/flow.ts';
import { createTriage } from '../../workers/ports.ts';
import { startMailer } from '../../workers/mailer.ts';
import { startProcessor } from '../../workers/processor.ts';
import { startWatcher, type RunningWatcher } from '../../workers/watcher.ts';
import { publishDeskSettings, publishProcess, readProcesses } from './desk-settings.ts';
import { webActions } from './web-actions.ts';

export const WORKERS = ['watcher', 'processor', 'mailer'] as const;
export type WorkerName = (typeof WORKERS)[number];

export interface RunningService {
  workers: WorkerName[];
  /** The status page, health and metrics, when HTTP_PORT is set. */
  http: { url: string } | null;
  /** Two-phase shutdown of every worker (each stops taking work, then finishes), then Redis. */
  close(): Promise<void>;
}

/**
 * Counts what the workers of this process do into `metrics`: decisions as the
 * flow records them (read back once per changed request), mails the SMTP
 * server accepted, and the time from a join request's arrival to its
 * acknowledgement.
 */
function observers(metrics: DeskMetrics, data: DeskData): { hook: FlowHook; onSent: (mailId: string) => Promise<void> } {
  const seen = new Set<string>();
  return {
    async hook(point, detail) {
      if (point !== 'applied') return;
      const r = await data.store.get(detail).catch(() => null);
      const d = r?.decision;
      if (!r || !d) return;
      const key = `${r.id}.${d.seq}`;
      if (seen.has(key)) return;
      seen.add(key);
      metrics.decisions.inc({ outcome: d.outcome });
    },
    async onSent(mailId) {
      metrics.mailSent(mailId);
      if (mailKind(mailId) !== 'acknowledgement') return;
      const r = await data.store.get(mailId.split('.')[0] ?? '').catch(() => null);
      if (!r) return;
      const seconds = (Date.now() - new Date(r.createdAt).getTime()) / 1000;
      if (seconds >= 0) metrics.ackLatency.observe(seconds);
    },
  };
}

/**
 * The one place that wires adapters to workers. The same code runs all workers
 * in one process or a subset per process (`--only`), several processes and
 * machines sharing one Redis. With HTTP_PORT it also serves health, metrics and
 * the status page.
 */
export async function startService(config: Config, logger: Logger, only: readonly WorkerName[] = WORKERS): Promise<RunningService> {
  const redis = createRedis(config.REDIS_URL, 'coalition-desk');
  redis.on('error', (err: unknown) => logger.warn({ err: (err as Error).message }, 'Redis connection error'));
  const closers: { name: WorkerName | 'http'; close(): Promise<void> }[] = [];
  const httpOn = config.HTTP_PORT !== undefined;
  const data = httpOn ? new DeskData(redis, config.REDIS_PREFIX, config.IMAP_MAILBOX) : null;
  const metrics = data ? new DeskMetrics({ requestsByStatus: () => data.requestsByStatus(), queueDepths: () => data.queueDepths() }) : null;
  const observe = metrics && data ? observers(metrics, data) : null;
  let watcher: RunningWatcher | null = null;
  let http: RunningHttp | null = null;
  // Fails at once while Redis is away (no offline queue), so /readyz answers instead of waiting.
  const probe = httpOn ? new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2000 }) : null;
  probe?.on('error', () => undefined);
  const view: WatcherView = { lockHeld: false, imapConnected: false };
  let presence: ReturnType<typeof publishProcess> | null = null;
  const imapState = (state: string): void => presence?.update(state);
  try {
    // The mailer first: whatever the processor queues can leave at once.
    if (only.includes('mailer')) {
      const mailer = startMailer({ config, redis, logger, ...(observe ? { onSent: observe.onSent } : {}) });
      if (metrics) {
        mailer.worker.on('failed', (job, err) => {
          const id = (job?.data as { id?: string } | undefined)?.id ?? '';
          if (job && (job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === 'UnrecoverableError')) metrics.mailFailed(id);
        });
      }
      closers.push({ name: 'mailer', ...bindClose(mailer) });
    }
    if (only.includes('processor')) {
      const processor = await startProcessor({
        config,
        redis,
        logger,
        ...(observe ? { hook: observe.hook } : {}),
        ...(metrics ? { onProcessed: (outcome: string) => metrics.processed.inc({ outcome }) } : {}),
      });
      closers.push({ name: 'processor', ...bindClose(processor) });
    }
    if (only.includes('watcher')) {
      watcher = await startWatcher({ config, redis, logger, triage: createTriage(config) });
      const w = watcher.watcher;
      w.on('lock-acquired', () => {
        view.lockHeld = true;
        metrics?.lockHeld.set(1);
        imapState('connecting');
      });
      w.on('lock-lost', () => {
        view.lockHeld = false;
        metrics?.lockHeld.set(0);
        imapState('standby');
      });
      w.on('connected', () => {
        view.imapConnected = true;
        metrics?.connected();
        imapState('connected');
      });
      w.on('disconnected', (reason) => {
        view.imapConnected = false;
        metrics?.disconnected();
        imapState(`disconnected (${reason})`);
      });
      if (metrics) w.on('filed', (f) => metrics.ingested.inc({ disposition: f.disposition }));
      closers.push({ name: 'watcher', ...bindClose(watcher) });
    }
    if (httpOn && metrics && data && probe) {
      const imap = config.IMAP_HOST ? { host: config.IMAP_HOST, port: config.IMAP_PORT, secure: config.IMAP_SECURE } : null;
      const smtp = config.SMTP_HOST ? { host: config.SMTP_HOST, port: config.SMTP_PORT, secure: config.SMTP_SECURE } : null;
      http = await startHttp({
        host: config.HTTP_HOST,
        port: config.HTTP_PORT ?? 0,
        logger,
        metrics,
        readiness: () =>
          readiness({
            probe,
            imap,
            smtp,
            watcher: watcher ? () => ({ lockHeld: watcher?.lock.isHeld ?? false, imapConnected: view.imapConnected }) : null,
            lockKey: data.lockKey,
          }),
        routes: statusRoutes({
          token: config.HTTP_TOKEN,
          publicStatement: config.PUBLIC_STATEMENT,
          coalitionName: config.COALITION_NAME,
          coalitionAddress: config.COALITION_ADDRESS,
          coordinators: config.COORDINATORS,
          mailbox: config.IMAP_MAILBOX,
          data,
          processes: () => readProcesses(redis, config.REDIS_PREFIX),
          actions: webActions(config, redis, logger),
        }),
      });
      const h = http;
      closers.push({ name: 'http', close: () => h.close() });
    }
  } catch (err) {
    await closeAll(closers, logger);
    await data?.close();
    probe?.disconnect();
    await redis.quit().catch(() => undefined);
    throw err;
  }
  // The CLI decides with the running processor's UNDO_WINDOW and the like; the status page names the processes.
  const settings = only.includes('processor') ? publishDeskSettings(redis, config, [...only]) : null;
  presence = publishProcess(redis, config.REDIS_PREFIX, {
    workers: [...only],
    lockToken: watcher?.lock.token ?? null,
    http: http?.url ?? null,
    imap: watcher ? (view.imapConnected ? 'connected' : view.lockHeld ? 'connecting' : 'standby') : null,
  });
  const published = presence;
  logger.info({ workers: only, ...(http ? { http: http.url } : {}) }, 'coalition desk running');
  let closing: Promise<void> | null = null;
  return {
    workers: [...only],
    http: http ? { url: http.url } : null,
    close() {
      closing ??= (async () => {
        await settings?.stop();
        await published.stop();
        await closeAll(closers, logger);
        await data?.close();
        probe?.disconnect();
        await redis.quit().catch(() => undefined);
        logger.info('coalition desk stopped');
      })();
      return closing;
    },
  };
}

function bindClose(x: { close(): Promise<void> }): { close(): Promise<void> } {
  return { close: () => x.close() };
}

async function closeAll(closers: { name: string; close(): Promise<void> }[], logger: Logger): Promise<void> {
  // The HTTP server first (readiness goes away), then the front door (watcher), the mailer last,
  // so in-flight work drains outwards.
  for (const c of [...closers].reverse()) {
    try {
      await c.close();
    } catch (err) {
      logger.error({ err, worker: c.name }, 'worker did not close cleanly');
    }
  }
}
