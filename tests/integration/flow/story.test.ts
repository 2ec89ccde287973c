import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COORDINATOR_A, COORDINATOR_B, CSO, LIST } from '../../harness/stack.ts';
import { bodyOf, inbox, replyTo, sendJoinRequest, settled, startDesk, subjectHas, waitFor, type Desk } from './desk.ts';

describe('the whole story of a join request, in Albanian, decided by a DKIM-signed "PO"', () => {
  let desk: Desk;
  beforeAll(async () => {
    desk = await startDesk({ COORDINATOR_AUTH: 'dkim', UNDO_WINDOW: '2s' });
  });
  afterAll(async () => {
    await desk?.close();
  });

  it('acknowledges, asks both coordinators, adds the organisation as signatory 10 and answers the late "JO"', async () => {
    const { stack } = desk;
    await sendJoinRequest(stack);

    const [ack] = await waitFor(stack, CSO, subjectHas('Konfirmim marrjeje'));
    const ref = /\[(REQ-[A-Z0-9]+)\]/.exec(ack!.subject)?.[1];
    expect(ref).toBeDefined();
    expect(await bodyOf(ack!)).toContain('Qendra për Transparencë Qytetare');

    const [forAna] = await waitFor(stack, COORDINATOR_A, subjectHas(`[${ref}]`));
    const [forBesa] = await waitFor(stack, COORDINATOR_B, subjectHas(`[${ref}]`));
    expect(forAna!.messageId).not.toBe(forBesa!.messageId);
    expect(forAna!.source.toString()).toMatch(/message\/rfc822/);

    await replyTo(stack, forAna!, { from: `Ana <${COORDINATOR_A}>`, text: 'Po.' });

    const [confirmation] = await waitFor(stack, CSO, subjectHas(`u miratua [${ref}]`), 1, 30_000);
    expect(await bodyOf(confirmation!)).toMatch(/10/);
    const [statement] = await waitFor(stack, LIST, () => true);
    expect(statement!.subject).toContain('versioni 2');
    expect(await bodyOf(statement!)).toMatch(/10\.\s+Qendra për Transparencë Qytetare/);

    await replyTo(stack, forBesa!, { from: `Besa <${COORDINATOR_B}>`, text: 'JO' });
    const [late] = await waitFor(stack, COORDINATOR_B, subjectHas(`Kërkesa është vendosur tashmë`), 1, 20_000);
    expect(await bodyOf(late!)).toContain(COORDINATOR_A);

    // Each mail once, once the desk has nothing left to send.
    await settled(stack);
    expect((await inbox(stack, LIST)).length).toBe(1);
    const csoMail = await inbox(stack, CSO);
    expect(csoMail.length).toBe(2);
    const request = await desk.processor.store.get(ref!);
    expect(request?.status).toBe('approved');
    expect(request?.outcome).toEqual({ position: 10, version: 2 });
    expect(request?.audit.map((a) => a.event)).toEqual(
      expect.arrayContaining([
        'received',
        'acknowledged',
        'approval_requested',
        'decided_approve',
        'approved',
        'registry_updated',
        'ignored',
      ]),
    );
  });
});
