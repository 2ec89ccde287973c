import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../log.ts';
import type { Check } from './health.ts';
import type { DeskMetrics } from './metrics.ts';

/**
 * The desk's HTTP server (fastify): /healthz, /readyz and /metrics, and the
 * status pages that `routes` adds. Off unless HTTP_PORT is set; it listens on
 * HTTP_HOST, loopback by default.
 */

export interface HttpOptions {
  host: string;
  /** 0: any free port (tests). */
  port: number;
  logger: Logger;
  metrics: DeskMetrics;
  readiness: () => Promise<{ ready: boolean; checks: Check[] }>;
  /** The status page, Bull Board and the public statement (see status.ts). */
  routes?: (app: FastifyInstance) => Promise<void>;
}

export interface RunningHttp {
  url: string;
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startHttp(o: HttpOptions): Promise<RunningHttp> {
  const log = o.logger.child({ component: 'http' });
  const app = Fastify({ logger: false, trustProxy: false });
  let closing = false;

  app.addHook('onSend', async (_req, reply, payload) => {
    // Nothing the desk serves is to be framed, sniffed or cached by a proxy in between.
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
    return payload;
  });
  app.setErrorHandler((err, req, reply) => {
    const status = typeof (err as { statusCode?: number }).statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500;
    if (status >= 500) log.error({ err, url: req.url, method: req.method }, 'HTTP request failed');
    void reply.code(status).type('text/plain; charset=utf-8').send(status >= 500 ? 'internal error\n' : `${(err as Error).message}\n`);
  });

  app.get('/healthz', async (_req, reply) => reply.type('application/json').send({ ok: true }));
  app.get('/readyz', async (_req, reply) => {
    if (closing) return reply.code(503).send({ ready: false, checks: [{ name: 'process', ok: false, detail: 'shutting down' }] });
    const r = await o.readiness();
    return reply.code(r.ready ? 200 : 503).send(r);
  });
  app.get('/metrics', async (_req, reply) => {
    const m = await o.metrics.text();
    return reply.type(m.contentType).send(m.body);
  });
  if (o.routes) await app.register(o.routes);

  await app.listen({ host: o.host, port: o.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const shownHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `http://${shownHost}:${port}/`;
  log.info({ url }, 'HTTP server listening');
  return {
    url,
    port,
    app,
    async close() {
      closing = true;
      await app.close();
    },
  };
}
