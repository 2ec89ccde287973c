import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/log.ts';
import { startMailer, type Mailer } from '../../../workers/mailer.ts';
import { deliver } from '../../harness/mailbox.ts';
import { COORDINATOR_A, COORDINATOR_B, INFO, LIST } from '../../harness/stack.ts';
import { compose, DKIM, inbox, replyTo, settled, startDesk, subjectHas, waitFor, type Desk } from './desk.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const FORM = 'no-reply@forms.example.net';
const PERSON = 'arta@qtq.example.net';

/**
 * crash.test.ts for a possible request: the watcher and processor run in a
 * child that SIGKILLs itself once at each chosen point, and is restarted at
 * once. At the end every mailbox holds each mail exactly once.
 */
describe('a possible request, with the service killed and restarted at each step', () => {
  let desk: Desk;
  let mailer: Mailer;
  let child: ChildProcess | null = null;
  let stopping = false;
  let exits = 0;
  const CRASH_AT = [
    'created:', // the possible request stored, no mail to the coordinators queued yet
    'effect:REQ-', // the first coordinator's mail queued, the second's not yet
    'processed:', // the form's mail handled, its spool entry not yet deleted
    'applied:', // the opening stored, acknowledgement and approval requests not yet queued
    '.acknowledgement', // the acknowledgement queued, the approval requests not yet
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
    desk = await startDesk({ COORDINATOR_AUTH: 'dkim', UNDO_WINDOW: '0' }, { workers: false });
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

  it('shows it to each coordinator once, and acknowledges and approves it once', async () => {
    const { stack } = desk;
    const raw = await compose({
      from: `Membership form <${FORM}>`,
      subject: 'New submission: membership form',
      text: [
        'Organisation: Qendra për Transparencë Qytetare',
        'City: Shkodër',
        'Name: Arta Hoxha',
        `Email: ${PERSON}`,
        '',
        'Message: Our organisation would like to join the Coalition and sign the Joint Statement.',
      ].join('\n'),
      headers: { 'Auto-Submitted': 'auto-generated', 'Reply-To': `Arta Hoxha <${PERSON}>` },
    });
    await deliver(stack.dovecot, INFO, raw);
    const [forAna] = await waitFor(stack, COORDINATOR_A, subjectHas('Kërkesë e mundshme'), 1, 60_000);
    await waitFor(stack, COORDINATOR_B, subjectHas('Kërkesë e mundshme'), 1, 60_000);
    const ref = /\[(REQ-[A-Z0-9]+)\]/.exec(forAna!.subject)?.[1] as string;

    await replyTo(stack, forAna!, { from: COORDINATOR_A, text: 'PO' });
    await waitFor(stack, PERSON, subjectHas(`[${ref}]`), 1, 60_000);
    const [approval] = await waitFor(stack, COORDINATOR_B, subjectHas(`Kërkesë për miratim`), 1, 60_000);
    await waitFor(stack, COORDINATOR_A, subjectHas(`Kërkesë për miratim`), 1, 60_000);
    await replyTo(stack, approval!, { from: COORDINATOR_B, text: 'PO' });
    await waitFor(stack, PERSON, subjectHas(`approved [${ref}]`), 1, 60_000);
    await waitFor(stack, LIST, subjectHas('versioni 2'), 1, 60_000);

    // A late duplicate would be sent before the desk has nothing left to do.
    await settled(stack);
    const count = async (a: string) => (await inbox(stack, a)).length;
    expect(await count(PERSON)).toBe(2); // acknowledgement, confirmation
    expect(await count(FORM)).toBe(0);
    expect(await count(LIST)).toBe(1); // statement version 2
    expect(await count(COORDINATOR_A)).toBe(3); // possible request, approval request, decision echo
    expect(await count(COORDINATOR_B)).toBe(3); // possible request, approval request, decision echo
    const r = await desk.redis.get(`${desk.stack.prefix}:data:request:${ref}`);
    expect(JSON.parse(r ?? '{}')).toMatchObject({ status: 'approved', approvals: [{ by: COORDINATOR_B }] });
    const fired = [];
    for (const at of CRASH_AT) fired.push(await desk.redis.get(`${desk.stack.prefix}:test-crash:${at}`));
    expect(fired.map((f) => f !== null)).toEqual(CRASH_AT.map(() => true));
    expect(exits).toBeGreaterThanOrEqual(CRASH_AT.length);
  }, 180_000);
});
