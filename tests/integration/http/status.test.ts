import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import type { Config } from '../../../config/schema.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { RequestStore } from '../../../src/adapters/redis/request-store.ts';
import { flowSettings } from '../../../src/app/flow.ts';
import { startService, type RunningService } from '../../../src/cli/service.ts';
import { createRequest } from '../../../src/domain/request.ts';
import { startStack, type Stack } from '../../harness/stack.ts';

/**
 * The status page against a running desk: the token guard, the CSRF guard on
 * its one kind of action, and organisations whose names are written to break
 * out of the HTML. Nothing they carry becomes markup on any page.
 */

const TOKEN = 'status-page-token-0123456789';
const HOSTILE = {
  name: '<script>alert("name")</script> Shoqata "Zëri" & Co',
  acronym: '"><img src=x onerror=alert(1)>',
  city: "' onmouseover='alert(2)",
  website: 'javascript:alert(3)',
  contact: '</td></tr></table><h1>forged</h1>',
  subject: '<iframe src="https://evil.example/"></iframe>',
};

let stack: Stack;
let service: RunningService;
let config: Config;
let url: string;
let store: RequestStore;
const ID = 'REQ-H4ST7';

const auth = { Authorization: `Bearer ${TOKEN}` };
const get = (path: string, headers: Record<string, string> = auth) => fetch(new URL(path, url), { headers, redirect: 'manual' });
const page = async (path: string): Promise<string> => {
  const res = await get(path);
  expect(res.status, path).toBe(200);
  expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  return res.text();
};

/** Nothing hostile became markup: no script, image, frame or forged heading, no event handler attribute, and the name shown as text. */
function expectInert(body: string): void {
  expect(body).not.toMatch(/<script/i);
  expect(body).not.toMatch(/<img/i);
  expect(body).not.toMatch(/<iframe/i);
  expect(body).not.toContain('<h1>forged');
  expect(body).not.toMatch(/\son(error|mouseover)\s*=/i);
  expect(body).not.toMatch(/href="javascript:/i);
  expect(body).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; Shoqata &quot;Zëri&quot; &amp; Co');
}

beforeAll(async () => {
  stack = await startStack({ env: { UNDO_WINDOW: '0', HTTP_PORT: '0', HTTP_TOKEN: TOKEN, PUBLIC_STATEMENT: 'true' } });
  config = loadConfig(stack.env, null);
  service = await startService(config, silentLogger);
  url = service.http?.url ?? '';
  store = new RequestStore(stack.redis, keyspace(config.REDIS_PREFIX));
  const created = createRequest(
    {
      id: ID,
      kind: 'join',
      organization: { name: HOSTILE.name, acronym: HOSTILE.acronym, city: HOSTILE.city, website: HOSTILE.website },
      contact: { name: HOSTILE.contact, email: 'contact@hostile.example.net', phone: null },
      replyAddress: 'contact@hostile.example.net',
      senderAddress: 'contact@hostile.example.net',
      language: 'en',
      originalMessageId: '<hostile-1@hostile.example.net>',
      references: [],
      originalSubject: HOSTILE.subject,
      excerpt: `${HOSTILE.name} wants to join ${HOSTILE.acronym}`,
      missing: [],
      receivedAt: new Date(),
    },
    { now: new Date(), settings: flowSettings(config) },
  );
  await store.create(created, '<hostile-1@hostile.example.net>');
});

afterAll(async () => {
  await store?.close();
  await service?.close();
  await stack?.stop();
});

describe('the status page guard', () => {
  it('asks for the token with a basic-auth challenge, and refuses a wrong one', async () => {
    const none = await get('/', {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="coalition-desk"/);
    expect((await get('/', { Authorization: 'Bearer not-the-token-at-all' })).status).toBe(401);
    expect((await get('/queues', {})).status).toBe(401);
    expect((await get(`/requests/${ID}`, {})).status).toBe(401);
  });

  it('takes the token as a Bearer token or as the password of basic auth, whatever the user name', async () => {
    expect((await get('/')).status).toBe(200);
    const basic = `Basic ${Buffer.from(`anyone:${TOKEN}`).toString('base64')}`;
    expect((await get('/', { Authorization: basic })).status).toBe(200);
    expect((await get('/queues', { Authorization: basic })).status).toBe(200);
  });
});

describe('hostile organisation names', () => {
  it('are shown as text on the overview and on the request page, audit trail included', async () => {
    const overview = await page('/');
    expectInert(overview);
    expect(overview).toContain(`data-request="${ID}"`);
    const detail = await page(`/requests/${ID}`);
    expectInert(detail);
    expect(detail).toContain('&lt;iframe src&#61;&quot;https://evil.example/&quot;&gt;');
    expect(detail).toContain('javascript:alert(3)'); // as text, never as a link
  });

  it('never change state on a GET, and a POST needs the CSRF token of the page and a same-origin browser', async () => {
    expect((await get(`/requests/${ID}/approve`)).status).toBe(404);
    const form = new URLSearchParams({ by: 'ana@coord.example.org', action: 'approve' });
    const post = (body: URLSearchParams, headers: Record<string, string> = {}) =>
      fetch(new URL(`/requests/${ID}/approve`, url), {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
        body,
        redirect: 'manual',
      });
    expect((await post(form)).status).toBe(403);
    expect((await post(new URLSearchParams({ ...Object.fromEntries(form), csrf: '1.forged' }))).status).toBe(403);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await page(`/requests/${ID}`))?.[1] ?? '';
    expect(csrf).not.toBe('');
    const withCsrf = new URLSearchParams({ ...Object.fromEntries(form), csrf });
    expect((await post(withCsrf, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await post(withCsrf, { 'Sec-Fetch-Site': 'cross-site' })).status).toBe(403);
    expect((await store.get(ID))?.status).toBe('pending');

    const done = await post(withCsrf);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`/requests/${ID}?done=approve`);
    const r = await store.get(ID);
    const decided = r?.audit.find((a) => a.event === 'decided_approve');
    expect(decided?.by).toBe('ana@coord.example.org');
    expect(decided?.via).toMatch(/^web\.\d{4}-/);
  });

  it('are shown as text on the statement pages once the organisation signs', async () => {
    const t0 = Date.now();
    while ((await store.get(ID))?.outcome?.version !== 2) {
      if (Date.now() - t0 > 20_000) throw new Error('the approval never reached the statement');
      await new Promise((res) => setTimeout(res, 200));
    }
    const versions = await page('/statement/versions');
    expectInert(versions);
    expect(versions).toMatch(/class="add">\+ 10\. &lt;script&gt;/);
    const overview = await page('/');
    expectInert(overview);

    const pub = await get('/statement', {});
    expect(pub.status).toBe(200);
    const pubBody = await pub.text();
    expectInert(pubBody);
    expect(pubBody).not.toContain('contact@hostile.example.net');

    const json = await get('/statement.json', {});
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    const data = (await json.json()) as { version: number; signatories: { position: number; name: string }[] };
    expect(data.version).toBe(2);
    expect(data.signatories.at(-1)).toMatchObject({ position: 10, name: HOSTILE.name });
    expect(JSON.stringify(data)).not.toContain('@hostile.example.net');
  });
});
