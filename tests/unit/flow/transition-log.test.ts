import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/log.ts';
import type { OutgoingMail } from '../../../src/domain/outgoing.ts';
import { findTokenRefs } from '../../../src/domain/token.ts';
import { ANA, BESA, memoryDesk } from './support/memory-desk.ts';

/** Issue 9 item 4: one log line per request state transition, and no secret or content at info level. */

const ORG = 'arta@qtq.example.net';
const SECRET = 'k'.repeat(64);
/** A sentence only the organisation's mail contains. */
const BODY = 'We monitor the municipal budget hearings in Shkoder every spring';

interface Line {
  level: number;
  msg: string;
  [field: string]: unknown;
}

function capture() {
  const raw: string[] = [];
  const logger = createLogger('debug', {}, { write: (s: string) => void raw.push(s) });
  const lines = () => raw.map((s) => JSON.parse(s) as Line);
  return { logger, raw, lines };
}

function desk(env: Record<string, string> = {}) {
  const log = capture();
  const d = memoryDesk({ TOKEN_SECRET: SECRET, ...env }, { logger: log.logger });
  const join = () =>
    d.deliver([
      `From: Arta Hoxha <${ORG}>`,
      'To: info@example.org',
      'Subject: Request to join the Coalition',
      'Message-ID: <join.1@qtq.example.net>',
      'Date: Mon, 30 Nov 2026 09:00:00 +0100',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Dear Coalition,',
      '',
      'Our organisation, Qendra per Transparence Qytetare, based in Shkodër, would like to join the Coalition and sign the Joint Statement.',
      `${BODY}.`,
      '',
      'Best regards,',
      'Arta',
    ]);
  const reply = (from: string, mail: OutgoingMail, text: string, n: number) =>
    d.deliver([
      `From: ${from}`,
      'To: info@example.org',
      `Subject: Re: ${mail.subject}`,
      `Message-ID: <reply-${n}@coord.example.org>`,
      `In-Reply-To: <${mail.messageIdLocal}@example.org>`,
      `References: <${mail.messageIdLocal}@example.org>`,
      'Date: Mon, 30 Nov 2026 11:00:00 +0100',
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      '',
      `> ${BODY}`,
    ]);
  return { ...d, log, join, reply };
}

/** The approval tokens in every mail the desk sent the coordinators. */
function tokensIn(sent: Iterable<OutgoingMail>): string[] {
  const tokens = [...sent].flatMap((m) => findTokenRefs(`<${m.messageIdLocal ?? ''}@example.org>`, []).map((r) => r.token));
  return [...new Set(tokens)];
}

function expectNothingSecretAtInfo(lines: Line[], raw: string[], tokens: string[]): void {
  const info = raw.filter((_, i) => (lines[i]?.level ?? 0) >= 30);
  expect(info.length).toBeGreaterThan(0);
  for (const line of info) {
    for (const t of tokens) expect(line.toLowerCase()).not.toContain(t);
    expect(line).not.toContain(SECRET);
    expect(line).not.toContain(BODY);
  }
}

describe('request transitions in the log', () => {
  it('logs received → pending → approved as one line each, with the request id and the Message-ID behind it', async () => {
    const d = desk();
    await expect(d.join()).resolves.toBe('request_created');
    const [forAna] = d.to(ANA);
    await expect(d.reply(ANA, forAna!, 'PO', 1)).resolves.toBe('decision');
    const [r] = await d.store.list();
    expect(r?.status).toBe('approved');
    expect(d.signatories).toHaveLength(1);

    const lines = d.log.lines();
    const transitions = lines.filter((l) => l.msg === 'request transition' && l.level === 30);
    expect(transitions.map((l) => ({ requestId: l.requestId, messageId: l.messageId, from: l.from, to: l.to, event: l.event }))).toEqual([
      { requestId: r!.id, messageId: '<join.1@qtq.example.net>', from: 'received', to: 'pending', event: 'received' },
      { requestId: r!.id, messageId: '<reply-1@coord.example.org>', from: 'pending', to: 'approved', event: 'decide' },
    ]);
    expect(transitions[1]).toMatchObject({ by: ANA, decision: 'approve' });
    // Recording the registry's outcome changes the record, not its status: a debug line, not a transition at info.
    expect(lines.filter((l) => l.msg === 'request transition' && l.level === 20).map((l) => l.event)).toEqual(['applied']);

    const tokens = tokensIn(d.sent.values());
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expectNothingSecretAtInfo(lines, d.log.raw, tokens);
  });

  it('with an undo window: pending → decided_pending_undo by the reply, → approved by the timer, which has no Message-ID', async () => {
    const d = desk({ UNDO_WINDOW: '1m', APPROVALS_REQUIRED: '2' });
    await d.join();
    const [forAna] = d.to(ANA);
    const [forBesa] = d.to(BESA);
    await d.reply(ANA, forAna!, 'PO', 1);
    await d.reply(BESA, forBesa!, 'PO', 2);
    const [r] = await d.store.list();
    expect(r?.status).toBe('decided_pending_undo');
    await d.flow.apply(r!.id, { type: 'timer', timer: 'finalize', seq: r!.decision!.seq });
    expect((await d.store.get(r!.id))?.status).toBe('approved');

    const lines = d.log.lines();
    const info = lines.filter((l) => l.msg === 'request transition' && l.level === 30);
    expect(info.map((l) => [l.from, l.to, l.event, l.messageId])).toEqual([
      ['received', 'pending', 'received', '<join.1@qtq.example.net>'],
      ['pending', 'decided_pending_undo', 'decide', '<reply-2@coord.example.org>'],
      ['decided_pending_undo', 'approved', 'timer', null],
    ]);
    expect(info[2]).toMatchObject({ timer: 'finalize' });
    // The first of two approvals leaves the request pending: logged, at debug.
    const debug = lines.filter((l) => l.msg === 'request transition' && l.level === 20);
    expect(debug.map((l) => [l.from, l.to, l.event, l.by])).toEqual([
      ['pending', 'pending', 'decide', ANA],
      ['approved', 'approved', 'applied', undefined],
    ]);
    expectNothingSecretAtInfo(lines, d.log.raw, tokensIn(d.sent.values()));
  });

  it('logs nothing for a replayed reply: the transition happened once', async () => {
    const d = desk({ APPROVALS_REQUIRED: '2' });
    await d.join();
    const [forAna] = d.to(ANA);
    await d.reply(ANA, forAna!, 'PO', 1);
    await expect(d.reply(ANA, forAna!, 'PO', 1)).resolves.toBe('replay');
    const decides = d.log.lines().filter((l) => l.msg === 'request transition' && l.event === 'decide');
    expect(decides).toHaveLength(1);
  });
});
