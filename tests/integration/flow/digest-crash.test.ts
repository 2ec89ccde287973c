import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/log.ts';
import { startMailer, type Mailer } from '../../../workers/mailer.ts';
import { COORDINATOR_A, COORDINATOR_B } from '../../harness/stack.ts';
import { bodyOf, DKIM, inbox, joinFrom, replyTo, sendJoinRequest, settled, startDesk, subjectHas, waitFor, type Desk } from './desk.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/**
 * The digest's crash windows: the processor (in a child that SIGKILLs itself once at each point, restarted at
 * once) dies after a request's approval request went into the waiting list but before the effect was marked
 * done, after a digest was cut but before its mails were queued, and after the first line of a digest reply
 * was stored but before the rest. Every request is then in exactly one digest, each digest reaches each
 * coordinator once, and each line of the reply is applied once with one summary.
 */
describe('the approval digest, killed at each of its steps', () => {
  let desk: Desk;
  let mailer: Mailer;
  let child: ChildProcess | null = null;
  let stopping = false;
  const CRASH_AT = [
    'approval_request.ana', // the first approval request routed into the waiting list, the effect not yet done
    'digest:', // a digest cut (stored as unsent), its mails not yet queued
    'applied:', // the first line of the reply stored, its effects and the other line not yet
  ];
  const orgs = ['Alder', 'Birch', 'Cedar', 'Dune', 'Ember'].map((w) => ({
    name: `${w} Youth Network`,
    acronym: `${w.slice(0, 2).toUpperCase()}YN`,
    city: 'Durrës',
    person: 'Ilir Meta',
    address: `info@${w.toLowerCase()}-yn.example.net`,
  }));
  const DIGEST = subjectHas('Kërkesa për miratim në pritje');

  function spawnDesk(): void {
    const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/integration/flow/desk-child.ts')], {
      cwd: ROOT,
      env: { ...process.env, DESK_CHILD: JSON.stringify({ env: desk.stack.env, pub: DKIM.pub, crashAt: CRASH_AT }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    c.stdout!.on('data', () => undefined);
    c.stderr!.on('data', () => undefined);
    c.once('exit', () => {
      if (!stopping) spawnDesk();
    });
    child = c;
  }

  beforeAll(async () => {
    desk = await startDesk(
      { COORDINATOR_AUTH: 'dkim', UNDO_WINDOW: '0', APPROVAL_DIGEST: 'always', APPROVAL_DIGEST_EVERY: '8s' },
      { workers: false },
    );
    mailer = startMailer({
      config: desk.config,
      redis: desk.redis,
      logger: silentLogger,
      worker: { lockDuration: 3000, stalledInterval: 1000 },
    });
    spawnDesk();
  });
  afterAll(async () => {
    stopping = true;
    child?.kill('SIGKILL');
    await mailer?.close();
    await desk?.close();
  });

  it('lists every request in exactly one digest, sends each digest once, and applies each line once', async () => {
    const { stack } = desk;
    for (const org of orgs) await sendJoinRequest(stack, joinFrom(org));
    for (const org of orgs) await waitFor(stack, org.address, () => true, 1, 60_000);
    // However the crashes fall, every request reaches a digest: wait until the listed ones are all of them.
    const listedIn = async (who: string) => {
      const out: string[][] = [];
      for (const m of await inbox(stack, who, DIGEST)) {
        out.push([...(await bodyOf(m)).matchAll(/^=== \d+\. (REQ-[0-9A-Z]+) ===$/gm)].map((x) => x[1] as string));
      }
      return out;
    };
    const t0 = Date.now();
    while ((await listedIn(COORDINATOR_B)).flat().length < orgs.length && Date.now() - t0 < 90_000) {
      await new Promise((r) => setTimeout(r, 300));
    }
    await settled(stack, 60_000);
    const requests = await desk.redis.keys(`${stack.prefix}:data:request:REQ-*`);
    expect(requests).toHaveLength(orgs.length);
    const ids = requests.map((k) => k.split(':').at(-1) as string).sort();
    for (const who of [COORDINATOR_A, COORDINATOR_B]) {
      const digests = await inbox(stack, who, DIGEST);
      // Each digest once (its number in the subject), and nothing else: no approval mail of its own.
      expect(new Set(digests.map((m) => m.subject)).size, who).toBe(digests.length);
      expect(await inbox(stack, who, (m) => /\[REQ-/.test(m.subject)), who).toEqual([]);
      const listed = (await listedIn(who)).flat();
      expect([...listed].sort(), who).toEqual(ids);
    }

    // Ana decides two requests of one digest in one reply; the desk dies after storing the first line.
    const [digest] = await inbox(stack, COORDINATOR_A, DIGEST);
    const [first, second] = [...(await bodyOf(digest!)).matchAll(/^=== \d+\. (REQ-[0-9A-Z]+) ===$/gm)].map((x) => x[1] as string);
    expect(second).toBeDefined();
    await replyTo(stack, digest!, { from: COORDINATOR_A, text: `${first} PO\n${second} JO` });
    await waitFor(stack, COORDINATOR_A, subjectHas(/^Vendimet nga /), 1, 60_000);
    await settled(stack, 60_000);
    const get = async (id: string) => JSON.parse((await desk.redis.get(`${stack.prefix}:data:request:${id}`)) ?? '{}');
    const a = await get(first as string);
    const b = await get(second as string);
    expect(a.status).toBe('approved');
    expect(a.approvals).toHaveLength(1);
    expect(b.status).toBe('rejected');
    for (const who of [COORDINATOR_A, COORDINATOR_B]) {
      expect(await inbox(stack, who, subjectHas(/^Vendimet nga /)), who).toHaveLength(1);
    }
    const approvedOrg = orgs.find((o) => o.name === a.organization.name)!;
    expect(await inbox(stack, approvedOrg.address, subjectHas('approved'))).toHaveLength(1);
    // Each crash point fired.
    for (const at of CRASH_AT) expect(await desk.redis.get(`${stack.prefix}:test-crash:${at}`), at).not.toBeNull();
  }, 240_000);
});
