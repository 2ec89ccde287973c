import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COORDINATOR_A, COORDINATOR_B, LIST } from '../../harness/stack.ts';
import { handled, inbox, joinFrom, messageIdOf, replyTo, sendJoinRequest, settled, startDesk, subjectHas, timerRan, waitFor, type Desk } from './desk.ts';

async function newRequest(desk: Desk, org: Parameters<typeof joinFrom>[0]) {
  await sendJoinRequest(desk.stack, joinFrom(org));
  const [ack] = await waitFor(desk.stack, org.address, () => true);
  const ref = /\[(REQ-[A-Z0-9]+)\]/.exec(ack!.subject)?.[1] as string;
  const [forAna] = await waitFor(desk.stack, COORDINATOR_A, subjectHas(`Kërkesë për miratim: ${org.name} [${ref}]`));
  const [forBesa] = await waitFor(desk.stack, COORDINATOR_B, subjectHas(`Kërkesë për miratim: ${org.name} [${ref}]`));
  return { ref, forAna: forAna!, forBesa: forBesa! };
}

describe('two approvals and the undo window (APPROVALS_REQUIRED=2, UNDO_WINDOW=4s)', () => {
  let desk: Desk;
  beforeAll(async () => {
    desk = await startDesk({ APPROVALS_REQUIRED: '2', UNDO_WINDOW: '4s' });
  });
  afterAll(async () => {
    await desk?.close();
  });

  it('waits for a second coordinator, then for the window, before adding the organisation', async () => {
    const org = {
      name: 'Transparency Hub Lezha',
      acronym: 'THL',
      city: 'Lezhë',
      person: 'Ana Gjoka',
      address: 'ana@thl.example.net',
    };
    const { ref, forAna, forBesa } = await newRequest(desk, org);
    const first = await replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'PO' });
    await waitFor(desk.stack, COORDINATOR_B, subjectHas(`Miratuar nga ${COORDINATOR_A}: ${org.name} [${ref}]`));
    expect(await handled(desk.stack, messageIdOf(first))).toBe('decision');
    expect((await desk.processor.store.get(ref))?.status).toBe('pending');
    expect(await inbox(desk.stack, org.address, subjectHas('approved'))).toHaveLength(0);

    await replyTo(desk.stack, forBesa, { from: COORDINATOR_B, text: 'Miratoj' });
    await waitFor(desk.stack, COORDINATOR_A, subjectHas(`Miratuar nga ${COORDINATOR_B}: ${org.name} [${ref}]`));
    expect((await desk.processor.store.get(ref))?.status).toBe('decided_pending_undo');
    expect(await inbox(desk.stack, org.address, subjectHas('approved'))).toHaveLength(0);

    await waitFor(desk.stack, org.address, subjectHas(`approved [${ref}]`), 1, 15_000);
    const r = await desk.processor.store.get(ref);
    expect(r?.status).toBe('approved');
    expect(r?.decision?.by).toEqual([COORDINATOR_A, COORDINATOR_B]);
    await waitFor(desk.stack, LIST, subjectHas(`u shtua ${org.name}`));
  });

  it('cancels a decision when a coordinator replies UNDO within the window', async () => {
    const org = {
      name: 'Mountain Communities Kukes',
      acronym: 'MCK',
      city: 'Kukës',
      person: 'Arben Shehu',
      address: 'arben@mck.example.net',
    };
    const { ref, forAna, forBesa } = await newRequest(desk, org);
    await replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'PO' });
    await replyTo(desk.stack, forBesa, { from: COORDINATOR_B, text: 'PO' });
    const [echo] = await waitFor(
      desk.stack,
      COORDINATOR_A,
      subjectHas(`Miratuar nga ${COORDINATOR_B}: ${org.name} [${ref}]`),
    );
    // Ana answers the echo she received (it carries her own token).
    await replyTo(desk.stack, echo!, { from: COORDINATOR_A, text: 'ANULO' });
    await waitFor(desk.stack, COORDINATOR_B, subjectHas(`Vendimi u anulua: ${org.name} [${ref}]`));
    // The end of the window came, and its timer found the decision undone.
    expect(await timerRan(desk.stack, `${ref}.finalize.`)).toBe('nothing to do');
    await settled(desk.stack);
    const r = await desk.processor.store.get(ref);
    expect(r?.status).toBe('pending');
    expect(r?.approvals).toEqual([]);
    expect(await inbox(desk.stack, org.address, subjectHas('approved'))).toHaveLength(0);
    expect(await inbox(desk.stack, LIST, subjectHas(org.name))).toHaveLength(0);
  });
});

describe('reminders and expiry (REMINDER_AFTER=2s, REQUEST_TTL=5s)', () => {
  let desk: Desk;
  beforeAll(async () => {
    desk = await startDesk({ REMINDER_AFTER: '2s', REQUEST_TTL: '5s' });
  });
  afterAll(async () => {
    await desk?.close();
  });

  it('reminds the coordinators, then tells the organisation the request expired, and a late PO changes nothing', async () => {
    const org = {
      name: 'Coastal Citizens Saranda',
      acronym: 'CCS',
      city: 'Sarandë',
      person: 'Eni Dervishi',
      address: 'eni@ccs.example.net',
    };
    const { ref, forAna } = await newRequest(desk, org);
    await waitFor(
      desk.stack,
      COORDINATOR_A,
      subjectHas(`Kujtesë: kërkesë në pritje për ${org.name} [${ref}]`),
      1,
      10_000,
    );
    await waitFor(
      desk.stack,
      COORDINATOR_B,
      subjectHas(`Kujtesë: kërkesë në pritje për ${org.name} [${ref}]`),
      1,
      10_000,
    );
    await waitFor(desk.stack, org.address, subjectHas(`expired [${ref}]`), 1, 15_000);
    expect((await desk.processor.store.get(ref))?.status).toBe('expired');

    await replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'PO' });
    await waitFor(desk.stack, COORDINATOR_A, subjectHas(`Kërkesa është vendosur tashmë: ${org.name} [${ref}]`));
    expect((await desk.processor.store.get(ref))?.status).toBe('expired');
    expect(await inbox(desk.stack, LIST)).toHaveLength(0);
  });
});
