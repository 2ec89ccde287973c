import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/load.ts';
import { silentLogger } from '../../../src/adapters/log.ts';
import { flowSettings } from '../../../src/app/flow.ts';
import { createRequest } from '../../../src/domain/request.ts';
import { buildFlow, type FlowParts } from '../../../workers/processor.ts';
import { runCli } from '../../harness/cli.ts';
import { COORDINATOR_A, startStack, type Stack } from '../../harness/stack.ts';

/** The statement lists organisations: a request without a name is never approved under its sender's address. */
describe('approving from the command line a request that has no organisation name', () => {
  let stack: Stack;
  let parts: FlowParts;
  const sender = 'arben.person@mail.example.net';

  beforeAll(async () => {
    stack = await startStack({ env: { UNDO_WINDOW: '0' } });
    const config = loadConfig(stack.env, '/nonexistent/.env');
    parts = await buildFlow({ config, redis: stack.redis, logger: silentLogger });
    const result = createRequest(
      {
        id: 'REQ-N7NAM',
        kind: 'join',
        organization: { name: null, acronym: null, city: 'Berat', website: null },
        contact: { name: 'Arben', email: sender, phone: null },
        replyAddress: sender,
        senderAddress: sender,
        language: 'sq',
        originalMessageId: '<no-name@mail.example.net>',
        references: [],
        originalSubject: 'Anëtarësim',
        excerpt: 'Duam të bashkohemi',
        missing: [],
        receivedAt: new Date(),
      },
      { now: new Date(), settings: flowSettings(config) },
    );
    await parts.store.create(result, '<no-name@mail.example.net>');
  });
  afterAll(async () => {
    await parts?.close();
    await stack?.stop();
  });

  it('is refused with a clear line, and nothing is published', async () => {
    const res = await runCli(['approve', 'REQ-N7NAM', '--by', COORDINATOR_A], stack.env);
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toMatch(/has no organisation name: approve it with --name/);
    expect((await parts.store.get('REQ-N7NAM'))?.status).toBe('pending');
    const listed = await runCli(['signatories'], stack.env);
    expect(listed.stdout).not.toContain(sender);
  });

  it('is approved under the name the coordinator gives', async () => {
    const res = await runCli(['approve', 'REQ-N7NAM', '--by', COORDINATOR_A, '--name', 'Shoqata Beratase për Transparencë'], stack.env);
    expect(res.code, res.stderr).toBe(0);
    const listed = await runCli(['signatories'], stack.env);
    expect(listed.stdout).toContain('Shoqata Beratase për Transparencë');
    expect(listed.stdout).not.toMatch(/^\d+\. arben\.person@/m);
  });
});
