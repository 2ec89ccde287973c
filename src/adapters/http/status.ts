import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import formbody from '@fastify/formbody';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID_RE } from '../../domain/token.ts';
import type { RequestRecord } from '../../domain/request.ts';
import type { DeskData } from './desk-data.ts';
import {
  actionsFor,
  layout,
  overviewPage,
  publicStatementPage,
  requestPage,
  STYLESHEET,
  statementJson,
  versionsPage,
  type ProcessView,
  type WebAction,
} from './pages.ts';

/**
 * The status page (`/`, `/requests/REQ-…`, `/statement/versions`) and Bull
 * Board (`/queues`, read only), behind HTTP_TOKEN given as a Bearer token or as
 * the password of basic auth; the public statement (`/statement`,
 * `/statement.json`) with PUBLIC_STATEMENT=true. GET never changes anything
 * (mail scanners fetch links); the few actions are POSTs that need a CSRF token
 * of this desk and a same-origin browser, and they go through the same flow as
 * a mailed reply, recorded in the audit trail with via `web.…`.
 */

export interface ProcessInfo {
  host: string;
  pid: number;
  since: string;
  workers: string[];
  lockToken: string | null;
  imap?: string | null;
}

export type ActionResult = { ok: true; request: RequestRecord } | { ok: false; message: string };

/** Decisions from the page (the composition root implements it with the same flow as the CLI). */
export interface WebActions {
  apply(id: string, action: WebAction, o: { by: string; reason: string | null; share: boolean }): Promise<ActionResult>;
}

export interface StatusDeps {
  token: string | undefined;
  publicStatement: boolean;
  coalitionName: string;
  coalitionAddress: string;
  coordinators: string[];
  mailbox: string;
  data: DeskData;
  processes: () => Promise<ProcessInfo[]>;
  actions: WebActions | null;
  clock?: () => Date;
}

const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const CSRF_MAX_AGE_S = 12 * 3600;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** True when the request carries the token: `Bearer TOKEN`, or basic auth with TOKEN as the password (any user name). */
export function authorised(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  let given: string | null = null;
  if (scheme === 'bearer') given = value;
  else if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    given = colon < 0 ? null : decoded.slice(colon + 1);
  }
  // Compared as hashes: constant time whatever the lengths.
  return given !== null && timingSafeEqual(digest(given), digest(token));
}

/** A CSRF token: a time and its HMAC under a key derived from HTTP_TOKEN (a new HTTP_TOKEN voids every form). */
export function csrfToken(secret: string, now: Date): string {
  const ts = Math.floor(now.getTime() / 1000);
  return `${ts}.${createHmac('sha256', `csrf:${secret}`).update(String(ts)).digest('hex').slice(0, 40)}`;
}

export function csrfValid(secret: string, value: unknown, now: Date): boolean {
  if (typeof value !== 'string') return false;
  const [ts, mac] = value.split('.');
  const t = Number(ts);
  if (!Number.isInteger(t) || !mac) return false;
  const ageS = now.getTime() / 1000 - t;
  if (ageS < -60 || ageS > CSRF_MAX_AGE_S) return false;
  return timingSafeEqual(digest(csrfToken(secret, new Date(t * 1000))), digest(value));
}

/** The browser says the form came from this site (Origin / Sec-Fetch-Site), when it says anything. */
function sameOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function sendPage(reply: FastifyReply, code: number, title: string, body: Parameters<typeof layout>[1], d: StatusDeps, nav = true) {
  return reply
    .code(code)
    .header('Content-Security-Policy', CSP)
    .header('X-Frame-Options', 'DENY')
    .type('text/html; charset=utf-8')
    .send(layout(title, body, { nav, coalitionName: d.coalitionName }));
}

const WAITING = ['pending', 'info_requested', 'decided_pending_undo'];

async function overview(d: StatusDeps, now: Date) {
  const [requests, current, versions, lock, processes, queues] = await Promise.all([
    d.data.requests(),
    d.data.current(),
    d.data.versions(),
    d.data.lock(),
    d.processes(),
    d.data.queueDepths(),
  ]);
  const views: ProcessView[] = processes.map((p) => ({
    host: p.host,
    pid: p.pid,
    since: p.since,
    workers: p.workers,
    imap: p.imap ?? null,
    watches: lock.token !== null && p.lockToken === lock.token,
  }));
  return overviewPage({
    now,
    mailbox: d.mailbox,
    waiting: requests.filter((r) => WAITING.includes(r.status)),
    unclear: requests.filter((r) => r.status === 'unclear'),
    decisions: requests
      .filter((r) => r.decision)
      .sort((a, b) => (b.decision?.at ?? '').localeCompare(a.decision?.at ?? ''))
      .slice(0, 20),
    current,
    versions: versions.length,
    lock: { held: lock.held, holder: views.find((v) => v.watches) ?? null, ttlMs: lock.ttlMs },
    processes: views,
    queues,
  });
}

const FLASH: Record<string, string> = {
  approve: 'Approved: recorded, and the coordinators are told; it takes effect after the undo window.',
  reject: 'Rejected: recorded, and the coordinators are told; it takes effect after the undo window.',
  open: 'Opened: the organisation is acknowledged and the coordinators are asked to decide.',
  close: 'Closed as not a request: nothing is sent to its sender.',
};

function guarded(d: StatusDeps, token: string) {
  return async (app: FastifyInstance): Promise<void> => {
    const clock = d.clock ?? (() => new Date());
    app.addHook('onRequest', async (req, reply) => {
      if (!authorised(req.headers.authorization, token)) {
        return reply
          .code(401)
          .header('WWW-Authenticate', 'Basic realm="coalition-desk", charset="UTF-8"')
          .type('text/plain; charset=utf-8')
          .send('the status page needs HTTP_TOKEN: as a Bearer token, or as the password of basic auth\n');
      }
    });
    await app.register(formbody, { bodyLimit: 16 * 1024 });

    app.get('/', async (_req, reply) => sendPage(reply, 200, 'Status', await overview(d, clock()), d));

    const showRequest = async (reply: FastifyReply, id: string, o: { code: number; flash: string | null; error: string | null }) => {
      const r = await d.data.store.get(id);
      if (!r) return reply.code(404).type('text/plain; charset=utf-8').send(`there is no request ${id}\n`);
      const now = clock();
      return sendPage(reply, o.code, r.id, requestPage(r, { now, csrf: csrfToken(token, now), coordinators: d.coordinators, ...o }), d);
    };

    app.get<{ Params: { id: string }; Querystring: { done?: string } }>('/requests/:id', async (req, reply) => {
      const id = req.params.id.toUpperCase();
      if (!REQUEST_ID_RE.test(id)) return reply.code(404).type('text/plain; charset=utf-8').send('not a request reference\n');
      return showRequest(reply, id, { code: 200, flash: FLASH[req.query.done ?? ''] ?? null, error: null });
    });

    app.post<{ Params: { id: string; action: string }; Body: Record<string, string | undefined> }>(
      '/requests/:id/:action',
      async (req, reply) => {
        const id = req.params.id.toUpperCase();
        const action = req.params.action as WebAction;
        if (!REQUEST_ID_RE.test(id) || !['approve', 'reject', 'open', 'close'].includes(action)) {
          return reply.code(404).type('text/plain; charset=utf-8').send('no such action\n');
        }
        const body = req.body ?? {};
        if (!sameOrigin(req) || !csrfValid(token, body.csrf, clock())) {
          return reply.code(403).type('text/plain; charset=utf-8').send('this form is stale or did not come from the status page: reload it and try again\n');
        }
        if (!d.actions) return showRequest(reply, id, { code: 409, flash: null, error: 'this process cannot decide (it runs no flow)' });
        const by = (body.by ?? '').trim().toLowerCase();
        if (!d.coordinators.map((c) => c.toLowerCase()).includes(by)) {
          return showRequest(reply, id, { code: 400, flash: null, error: 'choose one of the coordinators' });
        }
        const r = await d.data.store.get(id);
        if (!r) return reply.code(404).type('text/plain; charset=utf-8').send(`there is no request ${id}\n`);
        if (!actionsFor(r).includes(action)) {
          return showRequest(reply, id, { code: 409, flash: null, error: `${id} is ${r.status}: nothing to ${action}` });
        }
        const reason = (body.reason ?? '').trim().slice(0, 500) || null;
        const res = await d.actions.apply(id, action, { by, reason, share: body.share === '1' });
        if (!res.ok) return showRequest(reply, id, { code: 409, flash: null, error: res.message });
        // Post/Redirect/Get: a reload does not send the form again.
        return reply.code(303).header('Location', `/requests/${id}?done=${action}`).send();
      },
    );

    app.get<{ Querystring: { from?: string; to?: string } }>('/statement/versions', async (req, reply) => {
      const versions = await d.data.versions();
      const latest = versions.at(-1);
      if (!latest) return reply.code(404).send('no statement\n');
      const pick = (n: string | undefined) => (n === undefined ? undefined : versions.find((v) => v.number === Number(n)));
      const to = pick(req.query.to) ?? latest;
      const from = req.query.from !== undefined ? (pick(req.query.from) ?? null) : (versions.find((v) => v.number === to.number - 1) ?? null);
      return sendPage(
        reply,
        200,
        `Statement v${to.number}`,
        versionsPage(versions, d.data.document, { joinAddress: d.coalitionAddress, from, to }),
        d,
      );
    });

    // Bull Board, read only: retrying or deleting jobs would be a state change without the CSRF guard.
    const board = new FastifyAdapter();
    createBullBoard({
      queues: d.data.queues.map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
      serverAdapter: board,
      options: { uiConfig: { boardTitle: 'coalition-desk' } },
    });
    board.setBasePath('/queues');
    await app.register(board.registerPlugin(), { prefix: '/queues' });
  };
}

export function statusRoutes(d: StatusDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/assets/desk.css', async (_req, reply) =>
      reply.type('text/css; charset=utf-8').header('Cache-Control', 'max-age=3600').send(STYLESHEET),
    );

    if (d.publicStatement) {
      app.get('/statement', async (_req, reply) => {
        const v = await d.data.current();
        reply.header('Cache-Control', 'public, max-age=60');
        return sendPage(reply, 200, `Joint statement v${v.number}`, publicStatementPage(d.data.document, v, { joinAddress: d.coalitionAddress }), d, false);
      });
      app.get('/statement.json', async (_req, reply) => {
        const v = await d.data.current();
        return reply.header('Cache-Control', 'public, max-age=60').header('Access-Control-Allow-Origin', '*').send(statementJson(v));
      });
    }

    if (d.token) await app.register(guarded(d, d.token));
    else {
      const off = async (_req: FastifyRequest, reply: FastifyReply) =>
        reply.code(404).type('text/plain; charset=utf-8').send('the status page is off: set HTTP_TOKEN to turn it on\n');
      app.get('/', off);
      app.get('/queues', off);
    }
  };
}
