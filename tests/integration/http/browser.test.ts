import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import type { Config } from '../../../config/schema.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { RequestStore } from '../../../src/adapters/redis/request-store.ts';
import { flowSettings } from '../../../src/app/flow.ts';
import { startService, type RunningService } from '../../../src/cli/service.ts';
import { createRequest } from '../../../src/domain/request.ts';
import { waitForMessages } from '../../harness/mailbox.ts';
import { COORDINATOR_A, CSO, startStack, type Stack } from '../../harness/stack.ts';
import { replyTo, sendJoinRequest } from '../flow/desk.ts';

/**
 * The status page in a real headless Chromium (Debian's, driven by
 * playwright-core; one launch for the whole file): a coordinator finds the
 * pending request, approves it by replying to her mail, and sees the new
 * signatory on the statement page and on the public page. A request from an
 * organisation named like a script sits on the same pages; the browser must
 * never run it. Screenshots go to $TMPDIR/coalition-desk-screens.
 */

const TOKEN = 'browser-test-token-0123456789';
const ORG = 'Qendra për Transparencë Qytetare';
export const SCREENS = join(tmpdir(), 'coalition-desk-screens');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let stack: Stack;
let config: Config;
let service: RunningService;
let browser: Browser;
let url: string;
const dialogs: string[] = [];

beforeAll(async () => {
  mkdirSync(SCREENS, { recursive: true });
  stack = await startStack({ env: { UNDO_WINDOW: '0', IMAP_POLL_INTERVAL: '1s', HTTP_PORT: '0', HTTP_TOKEN: TOKEN, PUBLIC_STATEMENT: 'true' } });
  config = loadConfig(stack.env, null);
  service = await startService(config, silentLogger);
  url = service.http?.url ?? '';
  // A pending request whose organisation is named to run a script in the page.
  const store = new RequestStore(stack.redis, keyspace(config.REDIS_PREFIX));
  const hostile = createRequest(
    {
      id: 'REQ-XSS22',
      kind: 'join',
      organization: { name: '<img src=x onerror="alert(document.cookie)"><script>alert(1)</script>', acronym: null, city: null, website: null },
      contact: null,
      replyAddress: 'x@hostile.example.net',
      senderAddress: 'x@hostile.example.net',
      language: 'en',
      originalMessageId: '<xss@hostile.example.net>',
      references: [],
      originalSubject: '"><svg onload=alert(2)>',
      excerpt: '<script>alert(3)</script>',
      missing: [],
      receivedAt: new Date(),
    },
    { now: new Date(), settings: flowSettings(config) },
  );
  await store.create(hostile, '<xss@hostile.example.net>');
  await store.close();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  await stack?.stop();
});

describe('the status page in Chromium', () => {
  it('shows the pending request; after a PO by mail, the new signatory is on the statement page and the public page', async () => {
    await sendJoinRequest(stack);
    const [approval] = await waitForMessages(stack.dovecot, COORDINATOR_A, { match: (m) => /REQ-/.test(m.subject) });
    const ref = /\[(REQ-[A-Z0-9]+)\]/.exec(approval!.subject)?.[1] as string;

    const staff = await browser.newContext({ httpCredentials: { username: 'ana', password: TOKEN }, viewport: { width: 1280, height: 900 } });
    const page = await staff.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });

    await page.goto(url);
    const row = page.locator(`#waiting tr[data-request="${ref}"]`);
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('.org').textContent()).toBe(ORG);
    expect(await page.locator('#waiting tr[data-request="REQ-XSS22"] .org').textContent()).toBe(
      '<img src=x onerror="alert(document.cookie)"><script>alert(1)</script>',
    );
    expect(await page.locator('#imap').textContent()).toContain('IMAP connected');
    await page.screenshot({ path: join(SCREENS, '1-status.png'), fullPage: true });

    await row.locator(`a[href="/requests/${ref}"]`).click();
    await page.waitForURL(`**/requests/${ref}`);
    expect(await page.locator('h1').textContent()).toContain('pending');
    await page.screenshot({ path: join(SCREENS, '2-request.png'), fullPage: true });

    // The coordinator approves the way she would: a reply to her approval mail.
    await replyTo(stack, approval!, { from: COORDINATOR_A, text: 'PO', dkim: false });
    await waitForMessages(stack.dovecot, CSO, { match: (m) => m.subject.includes(`u miratua [${ref}]`) });

    await page.reload();
    expect(await page.locator('h1').textContent()).toContain('approved');
    expect(await page.locator('#audit').textContent()).toContain(`decided_approve${COORDINATOR_A}`);

    await page.goto(new URL('/statement/versions', url).href);
    expect(await page.locator('#statement li').last().textContent()).toContain(ORG);
    expect(await page.locator('#statement li').count()).toBe(10);
    expect(await page.locator('#diff .add').textContent()).toBe(`+ 10. ${ORG} (QTQ) – Shkodër`);
    await page.screenshot({ path: join(SCREENS, '3-statement.png'), fullPage: true });

    await page.goto(url);
    expect(await page.locator(`#decisions tr[data-request="${ref}"]`).textContent()).toContain(COORDINATOR_A);
    await page.screenshot({ path: join(SCREENS, '4-status-after.png'), fullPage: true });

    await page.goto(new URL('/queues/queue/outbound?status=completed', url).href);
    await page.waitForLoadState('networkidle');
    await page.getByText('statement.v2.list').first().waitFor();
    await page.screenshot({ path: join(SCREENS, '5-queues.png') });

    // The public page, as the coalition's website links it: no token.
    const visitor = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    const pub = await visitor.newPage();
    const res = await pub.goto(new URL('/statement', url).href);
    expect(res?.status()).toBe(200);
    expect(await pub.locator('#statement li').last().textContent()).toContain(ORG);
    await pub.screenshot({ path: join(SCREENS, '6-public.png'), fullPage: true });
    // Without the token the status page asks for it (headless Chromium has no one to type it in).
    await expect(pub.goto(url)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);

    expect(dialogs).toEqual([]);
    await staff.close();
    await visitor.close();
  });
});
