import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliver } from '../../harness/mailbox.ts';
import { COORDINATOR_A, COORDINATOR_B, INFO, LIST } from '../../harness/stack.ts';
import {
  compose,
  inbox,
  joinFrom,
  replyTo,
  sendJoinRequest,
  startDesk,
  subjectHas,
  waitFor,
  type Desk,
} from './desk.ts';
import type { StoredMessage } from '../../harness/mailbox.ts';

/**
 * COORDINATOR_AUTH=dkim without AUTHSERV_ID: the desk verifies DKIM itself
 * (the test's resolver serves coord.example.org's key). Every forged
 * decision changes nothing, and the coordinators are warned once per attempt.
 */
describe('forged decisions change nothing', () => {
  let desk: Desk;
  let ref: string;
  let forAna: StoredMessage;
  const org = {
    name: 'Integrity Watch Gjirokaster',
    acronym: 'IWG',
    city: 'Gjirokastër',
    person: 'Sokol Hyka',
    address: 'sokol@iwg.example.net',
  };
  const warnings = () => inbox(desk.stack, COORDINATOR_B, subjectHas('një vendim i pavërtetuar u shpërfill'));

  beforeAll(async () => {
    // Each distinct refusal below is warned: more than the default MAIL_CAP_WARNINGS (5 an hour) allows.
    desk = await startDesk({ COORDINATOR_AUTH: 'dkim', UNDO_WINDOW: '0', MAIL_CAP_WARNINGS: '50/1h' });
    await sendJoinRequest(desk.stack, joinFrom(org));
    const [ack] = await waitFor(desk.stack, org.address, () => true);
    ref = /\[(REQ-[A-Z0-9]+)\]/.exec(ack!.subject)?.[1] as string;
    [forAna] = (await waitFor(desk.stack, COORDINATOR_A, subjectHas(`[${ref}]`))) as [StoredMessage];
    await waitFor(desk.stack, COORDINATOR_B, subjectHas(`[${ref}]`));
  });
  afterAll(async () => {
    await desk?.close();
  });

  async function expectRefused(send: () => Promise<unknown>, reason: RegExp) {
    const before = (await warnings()).length;
    await send();
    const after = await waitFor(
      desk.stack,
      COORDINATOR_B,
      subjectHas('një vendim i pavërtetuar u shpërfill'),
      before + 1,
    );
    expect(after).toHaveLength(before + 1);
    const r = await desk.processor.store.get(ref);
    expect(r?.status).toBe('pending');
    expect(r?.approvals).toEqual([]);
    const last = r?.audit.filter((a) => a.event === 'unauthenticated_attempt').at(-1);
    expect(last?.detail).toMatch(reason);
  }

  it('refuses a spoofed coordinator From without a token', async () => {
    await expectRefused(async () => {
      const raw = await compose({
        from: COORDINATOR_A,
        subject: `Re: Kërkesë për miratim [${ref}]`,
        text: 'PO',
        dkimDomain: 'coord.example.org',
      });
      await deliver(desk.stack.dovecot, INFO, raw);
    }, /no_token/);
  });

  it('refuses the right token from someone who is not a coordinator', async () => {
    await expectRefused(
      () => replyTo(desk.stack, forAna, { from: 'mallory@evil.example.com', text: 'PO', dkim: false }),
      /not_a_coordinator/,
    );
  });

  it('refuses a display name that looks like a coordinator over another address', async () => {
    await expectRefused(
      () =>
        replyTo(desk.stack, forAna, {
          from: `"${COORDINATOR_A}" <koordinator@evil.example.com>`,
          text: 'PO',
          dkim: false,
        }),
      /not_a_coordinator/,
    );
  });

  it("refuses a coordinator using another coordinator's token", async () => {
    await expectRefused(() => replyTo(desk.stack, forAna, { from: COORDINATOR_B, text: 'PO' }), /token_mismatch/);
  });

  it('refuses a tampered token and a token moved to another request', async () => {
    const tampered = forAna.messageId.replace(
      /\.([a-z2-7])([a-z2-7]{31})@/,
      (_m, c: string, rest: string) => `.${c === 'a' ? 'b' : 'a'}${rest}@`,
    );
    expect(tampered).not.toBe(forAna.messageId);
    await expectRefused(
      () => replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'PO', inReplyTo: tampered }),
      /token_mismatch/,
    );
    const moved = forAna.messageId.replace(/appr\.req-[a-z0-9]+\./, 'appr.req-zzzzz.');
    await expectRefused(
      () => replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'PO', inReplyTo: moved }),
      /token_mismatch|no_token/,
    );
  });

  it('refuses the coordinator with the right token but no DKIM signature', async () => {
    await expectRefused(
      () => replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'PO', dkim: false }),
      /dkim_missing/,
    );
  });

  it('refuses the coordinator with the right token but a failing DKIM signature', async () => {
    await expectRefused(async () => {
      const raw = await compose({
        from: COORDINATOR_A,
        subject: `Re: ${forAna.subject}`,
        text: 'JO',
        inReplyTo: forAna.messageId,
        references: [forAna.messageId],
        dkimDomain: 'coord.example.org',
      });
      // Changed after signing: the body hash no longer verifies.
      await deliver(desk.stack.dovecot, INFO, Buffer.from(raw.toString().replace(/\r\n\r\nJO/, '\r\n\r\nPO')));
    }, /dkim_not_pass/);
    await expectRefused(
      () => replyTo(desk.stack, forAna, { from: COORDINATOR_A, text: 'PO', dkimDomain: 'evil.example.com' }),
      /dkim_not_pass|dkim_not_aligned/,
    );
  });

  it('accepts the real coordinator, signed by her domain, and nothing the forgeries sent reached the organisation or the list', async () => {
    expect(await inbox(desk.stack, LIST)).toHaveLength(0);
    expect(await inbox(desk.stack, org.address)).toHaveLength(1);
    await replyTo(desk.stack, forAna, { from: `Ana <${COORDINATOR_A}>`, text: 'Po' });
    await waitFor(desk.stack, org.address, subjectHas(`approved [${ref}]`));
    await waitFor(desk.stack, LIST, subjectHas(org.name));
    expect((await desk.processor.store.get(ref))?.decision?.by).toEqual([COORDINATOR_A]);
  });
});

/**
 * AUTHSERV_ID set: our receiving server (simulated here by prepending its
 * header, as the border MTA would) vouches for the sender; only its topmost
 * Authentication-Results counts, whatever the sender wrote below it.
 */
describe("decisions vouched for by our own server's Authentication-Results", () => {
  let desk: Desk;
  const OURS = 'mx.example.org';
  beforeAll(async () => {
    desk = await startDesk({ COORDINATOR_AUTH: 'dkim', AUTHSERV_ID: OURS, UNDO_WINDOW: '0' });
  });
  afterAll(async () => {
    await desk?.close();
  });

  async function reply(forAna: StoredMessage, arHeaders: string[]) {
    const raw = await compose({
      from: COORDINATOR_A,
      subject: `Re: ${forAna.subject}`,
      text: 'PO',
      inReplyTo: forAna.messageId,
      references: [forAna.messageId],
    });
    const prefix = arHeaders.map((h) => `Authentication-Results: ${h}\r\n`).join('');
    await deliver(desk.stack.dovecot, INFO, Buffer.concat([Buffer.from(prefix), raw]));
  }

  it('ignores a pass the sender wrote below our failing header, then accepts our dmarc=pass', async () => {
    const org = {
      name: 'Citizens Forum Pogradec',
      acronym: 'CFP',
      city: 'Pogradec',
      person: 'Alda Meta',
      address: 'alda@cfp.example.net',
    };
    await sendJoinRequest(desk.stack, joinFrom(org));
    const [ack] = await waitFor(desk.stack, org.address, () => true);
    const ref = /\[(REQ-[A-Z0-9]+)\]/.exec(ack!.subject)?.[1] as string;
    const [forAna] = (await waitFor(desk.stack, COORDINATOR_A, subjectHas(`[${ref}]`))) as [StoredMessage];

    await reply(forAna, [
      `${OURS}; dkim=none; dmarc=fail header.from=coord.example.org`,
      `${OURS}; dmarc=pass header.from=coord.example.org`,
    ]);
    await waitFor(desk.stack, COORDINATOR_B, subjectHas('një vendim i pavërtetuar u shpërfill'));
    await reply(forAna, [`mx.evil.example.com; dmarc=pass header.from=coord.example.org`]);
    await waitFor(desk.stack, COORDINATOR_B, subjectHas('një vendim i pavërtetuar u shpërfill'), 2);
    expect((await desk.processor.store.get(ref))?.status).toBe('pending');

    await reply(forAna, [
      `${OURS}; spf=pass smtp.mailfrom=coord.example.org; dkim=pass header.d=coord.example.org; dmarc=pass header.from=coord.example.org`,
    ]);
    await waitFor(desk.stack, org.address, subjectHas(`approved [${ref}]`));
  });

  it('does not decode an encoded word the sender slipped into our own header into a pass', async () => {
    const org = {
      name: 'Youth Voice Korça',
      acronym: 'YVK',
      city: 'Korçë',
      person: 'Erion Doko',
      address: 'erion@yvk.example.net',
    };
    await sendJoinRequest(desk.stack, joinFrom(org));
    const [ack] = await waitFor(desk.stack, org.address, () => true);
    const ref = /\[(REQ-[A-Z0-9]+)\]/.exec(ack!.subject)?.[1] as string;
    const [forAna] = (await waitFor(desk.stack, COORDINATOR_A, subjectHas(`[${ref}]`))) as [StoredMessage];

    // Our server copied the sender's HELO verbatim; decoded, it would read "…; dmarc=pass header.from=coord…".
    await reply(forAna, [
      `${OURS}; spf=fail smtp.helo=a =?us-ascii?q?x=3B_dmarc=3Dpass_header.from=3Dcoord.example.org?=; dkim=none; dmarc=fail header.from=coord.example.org`,
    ]);
    await waitFor(desk.stack, COORDINATOR_B, subjectHas(`shpërfill [${ref}]`));
    expect((await desk.processor.store.get(ref))?.status).toBe('pending');
  });
});
