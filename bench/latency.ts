/**
 * Latency of the desk as an organisation and a coordinator see it (issue 10), black box: `coalition start`
 * in a child process against the harness stack (Dovecot, the SMTP capture that delivers into it, Redis).
 *  - acknowledgement: a join request delivered into info@ over LMTP → the acknowledgement stored in the
 *    sender's mailbox (the capture records a mail once Dovecot has stored it); one request at a time.
 *  - decision: a coordinator's "PO" reply to the approval request delivered into info@ → the
 *    organisation's confirmation stored in its mailbox.
 * `npx tsx bench/latency.ts [ACKS] [DECISIONS] [--json FILE]`. Not a test.
 */
import { writeFileSync } from 'node:fs';
import { deliver } from '../tests/harness/mailbox.ts';
import { COORDINATOR_A, INFO, type Stack } from '../tests/harness/stack.ts';
import { compose } from '../tests/integration/flow/desk.ts';
import { benchStack, joinRequest, spawnDesk } from './backlog.ts';

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

export interface LatencyResult {
  acknowledgementMs: Percentiles;
  decisionMs: Percentiles;
}

export function percentiles(xs: readonly number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
  return { n: s.length, p50: Math.round(at(50)), p95: Math.round(at(95)), max: Math.round(at(100)) };
}

const mailsTo = (stack: Stack, address: string) => stack.smtp.messages.filter((m) => m.to.includes(address));

async function until(pred: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function messageIdOf(raw: Buffer): string {
  const head = raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
  const id = /^Message-ID:\s*(<[^>]+>)/im.exec(head)?.[1];
  if (!id) throw new Error('a mail without a Message-ID');
  return id;
}

export async function latency(acks: number, decisions: number): Promise<LatencyResult> {
  const stack = await benchStack();
  const child = spawnDesk(stack);
  const exited = new Promise((r) => child.once('exit', r));
  try {
    // Warm-up: the desk is connected and idling once a first request is acknowledged.
    const warm = joinRequest(0, 'w');
    await deliver(stack.dovecot, INFO, warm.raw, warm.from);
    await until(() => mailsTo(stack, warm.from).length > 0, 'the warm-up acknowledgement', 60_000);
    await new Promise((r) => setTimeout(r, 1000));

    const ack: number[] = [];
    for (let i = 1; i <= acks; i++) {
      const { raw, from } = joinRequest(i, 'l');
      const t0 = performance.now();
      await deliver(stack.dovecot, INFO, raw, from);
      await until(() => mailsTo(stack, from).length > 0, `the acknowledgement of request ${i}`);
      ack.push(performance.now() - t0);
    }

    const decision: number[] = [];
    for (let i = 1; i <= decisions; i++) {
      const { from } = joinRequest(i, 'l');
      const approval = stack.smtp.messages.find((m) => m.to.includes(COORDINATOR_A) && m.raw.includes(Buffer.from(from)));
      if (!approval) throw new Error(`no approval request for ${from}`);
      const reply = await compose({
        from: COORDINATOR_A,
        subject: 'Re: approval',
        text: 'PO\n\n> (the approval request)',
        inReplyTo: messageIdOf(approval.raw),
        references: [messageIdOf(approval.raw)],
      });
      const before = mailsTo(stack, from).length;
      const t0 = performance.now();
      await deliver(stack.dovecot, INFO, reply, COORDINATOR_A);
      await until(() => mailsTo(stack, from).length > before, `the confirmation of request ${i}`);
      decision.push(performance.now() - t0);
    }
    return { acknowledgementMs: percentiles(ack), decisionMs: percentiles(decision) };
  } finally {
    child.kill('SIGTERM');
    await exited;
    await stack.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--json');
  const json = i >= 0 ? argv.splice(i, 2)[1] : undefined;
  const r = await latency(Number(argv[0] ?? 100), Number(argv[1] ?? 20));
  const line = (name: string, p: Percentiles) => `${name} (n=${p.n}): p50 ${p.p50} ms, p95 ${p.p95} ms, max ${p.max} ms`;
  console.log(line('acknowledgement', r.acknowledgementMs));
  console.log(line('decision (reply → confirmation)', r.decisionMs));
  if (json) writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
}
