import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/log.ts';
import { startMailer, type Mailer } from '../../../workers/mailer.ts';
import { COORDINATOR_A, COORDINATOR_B, CSO, LIST } from '../../harness/stack.ts';
import { DKIM, inbox, replyTo, sendJoinRequest, settled, startDesk, subjectHas, waitFor, type Desk } from './desk.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/**
 * The watcher and processor run in a child process that SIGKILLs itself at
 * chosen points of the story (each once); a supervisor restarts it at once.
 * The mailer runs here, so the crashes test this flow's guarantees (its own
 * send/record window is the mailer's test). At the end every mailbox holds
 * each mail exactly once.
 */
describe('the service killed and restarted at each step of the story', () => {
  let desk: Desk;
  let mailer: Mailer;
  let child: ChildProcess | null = null;
  let stopping = false;
  let exits = 0;
  const CRASH_AT = [
    'created:', // request stored, no effect performed yet
    'effect:REQ-', // the acknowledgement queued, approval requests not yet
    'processed:', // the join request handled, its spool entry not yet deleted
    'applied:', // the decision stored, echo/timer not yet
    'effect:addSignatory', // signatory added and confirmation queued, outbox not yet cleared
  ];

  function spawnDesk(): void {
    const c = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tests/integration/flow/desk-child.ts')], {
      cwd: ROOT,
      env: { ...process.env, DESK_CHILD: JSON.stringify({ env: desk.stack.env, pub: DKIM.pub, crashAt: CRASH_AT }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    c.stdout!.on('data', () => undefined);
    c.stderr!.on('data', () => undefined);
    c.once('exit', () => {
      exits += 1;
      if (!stopping) spawnDesk();
    });
    child = c;
  }

  beforeAll(async () => {
    desk = await startDesk({ COORDINATOR_AUTH: 'dkim', UNDO_WINDOW: '1s' }, { workers: false });
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

  it('completes the story with every mail delivered once', async () => {
    const { stack } = desk;
    await sendJoinRequest(stack);
    const [ack] = await waitFor(stack, CSO, subjectHas('Konfirmim marrjeje'), 1, 60_000);
    const ref = /\[(REQ-[A-Z0-9]+)\]/.exec(ack!.subject)?.[1] as string;
    const [forAna] = await waitFor(stack, COORDINATOR_A, subjectHas(`Kërkesë për miratim`), 1, 60_000);
    const [forBesa] = await waitFor(stack, COORDINATOR_B, subjectHas(`Kërkesë për miratim`), 1, 60_000);
    expect(forAna!.source.toString()).toMatch(/message\/rfc822/);

    await replyTo(stack, forAna!, { from: COORDINATOR_A, text: 'PO' });
    await waitFor(stack, CSO, subjectHas(`u miratua [${ref}]`), 1, 60_000);
    await waitFor(stack, LIST, subjectHas('versioni 2'), 1, 60_000);
    await replyTo(stack, forBesa!, { from: COORDINATOR_B, text: 'JO' });
    await waitFor(stack, COORDINATOR_B, subjectHas('Kërkesa është vendosur tashmë'), 1, 60_000);

    // A late duplicate would be sent before the desk has nothing left to do.
    await settled(stack);
    const subjects = async (a: string) => (await inbox(stack, a)).map((m) => m.subject).sort();
    expect(await subjects(CSO)).toHaveLength(2); // acknowledgement, confirmation
    expect(await subjects(LIST)).toHaveLength(1); // statement version 2
    expect(await subjects(COORDINATOR_A)).toHaveLength(2); // approval request, decision echo
    expect(await subjects(COORDINATOR_B)).toHaveLength(3); // approval request, decision echo, already decided
    const r = await desk.redis.get(`${desk.stack.prefix}:data:request:${ref}`);
    expect(JSON.parse(r ?? '{}')).toMatchObject({ status: 'approved', outcome: { position: 10, version: 2 } });
    // Each crash point fired (the child records it in Redis just before it kills itself).
    const fired = [];
    for (const at of CRASH_AT) fired.push(await desk.redis.get(`${desk.stack.prefix}:test-crash:${at}`));
    expect(fired.map((f) => f !== null)).toEqual(CRASH_AT.map(() => true));
    expect(exits).toBeGreaterThanOrEqual(CRASH_AT.length);
  }, 180_000);
});
