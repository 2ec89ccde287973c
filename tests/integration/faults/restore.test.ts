import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryStore } from '../../../src/adapters/redis/registry-store.ts';
import { keyspace } from '../../../src/adapters/redis/keys.ts';
import { loadStatementSource } from '../../../src/adapters/templates/statement-source.ts';
import { deletePrefix } from '../../../src/devstack/redis.ts';
import { createRequest } from '../../../src/domain/request.ts';
import { flowSettings } from '../../../src/app/flow.ts';
import { buildFlow } from '../../../workers/processor.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { runCli } from '../../harness/cli.ts';
import { COORDINATOR_A } from '../../harness/stack.ts';
import { joinFrom, replyTo, sendJoinRequest, startDesk, subjectHas, waitFor, type Desk } from '../flow/desk.ts';

/**
 * A backup is the desk's memory after a disaster: restored, it must carry on
 * where it stopped. BullMQ's timers are not in it, so `coalition import`
 * schedules them again from the requests and performs the effects that were
 * pending when the backup was taken.
 */
describe('restoring a backup', () => {
  let desk: Desk;
  const dir = mkdtempSync(join(tmpdir(), 'backup-'));
  beforeAll(async () => {
    desk = await startDesk({ COORDINATOR_AUTH: 'token', UNDO_WINDOW: '4s' });
  });
  afterAll(async () => {
    await desk?.close();
  });

  async function backupAndLoseEverything(name: string): Promise<string> {
    const exported = await runCli(['export'], desk.stack.env);
    expect(exported.code, exported.stderr).toBe(0);
    const file = join(dir, name);
    writeFileSync(file, exported.stdout);
    // The disaster: Redis is gone, with every queue and timer in it.
    await deletePrefix(desk.redis, desk.stack.prefix);
    const imported = await runCli(['import', file], desk.stack.env);
    expect(imported.code, imported.stderr).toBe(0);
    return imported.stderr;
  }

  it('taken in the middle of an undo window, lets the decision take effect after the restore', async () => {
    const { stack } = desk;
    const org = { name: 'Fondacioni Drita e Kujtesës', acronym: 'FDK', city: 'Gjirokastër', person: 'Alma Bego', address: 'alma@fdk.example.net' };
    await sendJoinRequest(stack, joinFrom(org, 'sq'));
    const [ack] = await waitFor(stack, org.address, () => true);
    const ref = /\[(REQ-[A-Z0-9]+)\]/.exec(ack!.subject)?.[1] as string;
    const [forAna] = await waitFor(stack, COORDINATOR_A, subjectHas(`[${ref}]`));
    await replyTo(stack, forAna!, { from: COORDINATOR_A, text: 'PO' });
    for (let i = 0; i < 200 && (await desk.processor.store.get(ref))?.status !== 'decided_pending_undo'; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await desk.processor.store.get(ref))?.status).toBe('decided_pending_undo');
    // The desk stops before the window ends; the backup is taken while the decision waits.
    await desk.stopWorkers();

    const said = await backupAndLoseEverything('mid-window.json');

    await desk.startWorkers();
    await waitFor(stack, org.address, subjectHas(`u miratua [${ref}]`), 1, 30_000);
    expect(said).toMatch(/scheduled [1-9]\d* timer/);
    const r = await desk.processor.store.get(ref);
    expect(r?.status).toBe('approved');
    const registry = new RegistryStore(desk.redis, keyspace(stack.prefix), loadStatementSource().founding);
    expect((await registry.current())?.signatories.filter((s) => s.name === org.name)).toHaveLength(1);
  });

  it('taken before a stored request was acknowledged, sends the acknowledgement after the restore', async () => {
    const { stack } = desk;
    await desk.stopWorkers();
    // A request stored with its effects, the process dead before performing them.
    const parts = await buildFlow({ config: desk.config, redis: desk.redis, logger: silentLogger });
    const address = 'besnik@kujtesa.example.net';
    try {
      const result = createRequest(
        {
          id: 'REQ-RST7K',
          kind: 'join',
          organization: { name: 'Qendra Kujtesa', acronym: null, city: 'Durrës', website: null },
          contact: { name: 'Besnik', email: address, phone: null },
          replyAddress: address,
          senderAddress: address,
          language: 'sq',
          originalMessageId: '<restore-1@kujtesa.example.net>',
          references: [],
          originalSubject: 'Kërkesë për anëtarësim',
          excerpt: 'Dëshirojmë të bashkohemi',
          missing: [],
          receivedAt: new Date(),
        },
        { now: new Date(), settings: flowSettings(desk.config) },
      );
      await parts.store.create(result, '<restore-1@kujtesa.example.net>');
    } finally {
      await parts.close();
    }

    await backupAndLoseEverything('pending-effects.json');

    await desk.startWorkers();
    const [ack] = await waitFor(stack, address, subjectHas('[REQ-RST7K]'), 1, 30_000);
    expect(ack!.subject).toContain('Konfirmim marrjeje');
    await waitFor(stack, COORDINATOR_A, subjectHas('[REQ-RST7K]'));
    expect(await desk.processor.store.pendingEffects('REQ-RST7K')).toEqual([]);
  });
});
