import { generateKeyPairSync } from 'node:crypto';
import { dkimVerify } from 'mailauth';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundJobId } from '../../../src/contracts/outbox.ts';
import { buildMessage, type Mailer } from '../../../src/adapters/smtp/mailer.ts';
import { createSmtpTransport } from '../../../src/adapters/smtp/transport.ts';
import type { OutgoingMail } from '../../../src/domain/outgoing.ts';
import { listMessages, waitForMessages } from '../../harness/mailbox.ts';
import { CSO, startStack, type Stack } from '../../harness/stack.ts';
import { headersOf, outbound, until, type Outbound } from './setup.ts';

let stack: Stack;
let out: Outbound;
let mailer: Mailer;

beforeAll(async () => {
  stack = await startStack();
  out = outbound(stack);
  mailer = out.startMailer();
  await mailer.worker.waitUntilReady();
});
afterAll(async () => {
  await out?.close();
  await stack?.stop();
});

let n = 0;
function mail(over: Partial<OutgoingMail> = {}): OutgoingMail {
  n++;
  return {
    id: `test.${n}.${Date.now()}`,
    to: [CSO],
    subject: `Test ${n}`,
    text: 'text',
    html: '<p>html</p>',
    autoSubmitted: 'auto-generated',
    ...over,
  };
}
const bySubject = (s: string) => (m: { subject: string }) => m.subject === s;
const jobOf = async (m: OutgoingMail) => out.outbox.queue.getJob(outboundJobId(m.id));

describe('the mailer', () => {
  it('delivers an acknowledgement that threads, suppresses auto-replies and carries no injected header', async () => {
    const evil = 'Acme\r\nBcc: victim@example.org <script>alert(1)</script>';
    const r = out.templates.render('acknowledgement', 'sq', { reference: 'REQ-INJ01', organizationName: evil, contactName: evil, missing: [] });
    const m = mail({ id: 'ack.REQ-INJ01', ...r, autoSubmitted: 'auto-replied', inReplyTo: '<orig-1@cso.example.net>', references: ['<orig-1@cso.example.net>'] });
    await out.outbox.send(m);
    const [got] = await waitForMessages(stack.dovecot, CSO, { match: (x) => x.messageId === '<ack.REQ-INJ01@example.org>' });
    const h = headersOf(got!.source);
    expect(h).toMatch(/^Reply-To: info@example\.org$/m);
    expect(h).toMatch(/^From: .+ <info@example\.org>$/m);
    expect(h).toMatch(/^In-Reply-To: <orig-1@cso\.example\.net>$/m);
    expect(h).toMatch(/^References: <orig-1@cso\.example\.net>$/m);
    expect(h).toMatch(/^Auto-Submitted: auto-replied$/m);
    expect(h).toMatch(/^X-Auto-Response-Suppress: All$/m);
    expect(h).not.toMatch(/^Bcc:/im);
    expect(stack.smtp.deliveriesTo('victim@example.org')).toHaveLength(0);
    const parsed = await simpleParser(got!.source);
    expect(parsed.subject).toBe('Konfirmim marrjeje: kërkesa juaj për anëtarësim [REQ-INJ01]');
    expect(parsed.headers.get('bcc')).toBeUndefined();
    expect(parsed.to).toMatchObject({ value: [{ address: CSO }] });
    expect(parsed.html).not.toContain('<script');
    expect(parsed.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('sends a mail once however often it is queued', async () => {
    const m = mail();
    const results = await Promise.all([out.outbox.send(m), out.outbox.send(m), out.outbox.send(m)]);
    // Concurrent sends may all see no job yet; BullMQ keeps one job per id regardless.
    expect(results.every((r) => r.status === 'queued' || r.status === 'duplicate')).toBe(true);
    expect(await out.outbox.queue.getJobCountByTypes('waiting', 'active', 'delayed', 'completed', 'prioritized')).toBeGreaterThan(0);
    await waitForMessages(stack.dovecot, CSO, { match: bySubject(m.subject) });
    await until('job completed', async () => (await (await jobOf(m))?.getState()) === 'completed');
    expect((await out.outbox.send(m)).status).toBe('already-sent');
    // The durable record guards even once the completed job is gone.
    await (await jobOf(m))?.remove();
    expect((await out.outbox.send(m)).status).toBe('already-sent');
    await new Promise((r) => setTimeout(r, 500));
    expect((await listMessages(stack.dovecot, CSO)).filter(bySubject(m.subject))).toHaveLength(1);
  });

  it('delivers mail queued while the SMTP server was down, once it is back', async () => {
    // smtp-server's close() waits (30 s) for open connections: let the pool go first, as a real outage would.
    await mailer.close();
    await stack.smtp.close();
    mailer = out.startMailer();
    const t0 = Date.now();
    const m = mail();
    await out.outbox.send(m);
    await new Promise((r) => setTimeout(r, 4000));
    expect(stack.smtp.messages.filter((x) => x.raw.toString().includes(`Subject: ${m.subject}`))).toHaveLength(0);
    const attemptsWhileDown = (await jobOf(m))!.attemptsMade;
    expect(attemptsWhileDown).toBeGreaterThanOrEqual(3);
    await stack.smtp.listen();
    await waitForMessages(stack.dovecot, CSO, { match: bySubject(m.subject) });
    const delay = Date.now() - t0;
    expect(delay).toBeGreaterThan(4000);
    expect(delay).toBeLessThan(8000);
    expect((await listMessages(stack.dovecot, CSO)).filter(bySubject(m.subject))).toHaveLength(1);
  });

  it('retries a 451 and delivers once the server accepts again', async () => {
    stack.smtp.refuseWith = 451;
    const m = mail();
    await out.outbox.send(m);
    await until('a refused attempt', async () => ((await jobOf(m))?.attemptsMade ?? 0) >= 2);
    stack.smtp.refuseWith = null;
    await waitForMessages(stack.dovecot, CSO, { match: bySubject(m.subject) });
    expect((await listMessages(stack.dovecot, CSO)).filter(bySubject(m.subject))).toHaveLength(1);
  });

  it('fails a mail refused with 550 at once, keeping the server’s reason', async () => {
    stack.smtp.refuseWith = 550;
    const m = mail();
    try {
      await out.outbox.send(m);
      const job = await until('job failed', async () => {
        const j = await jobOf(m);
        return (await j?.getState()) === 'failed' ? j : null;
      });
      expect(job.failedReason).toMatch(/^550 /);
      expect(job.attemptsMade).toBe(1);
    } finally {
      stack.smtp.refuseWith = null;
    }
  });

  it('signs with DKIM when configured, and the signature verifies after delivery', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const tx = createSmtpTransport({ ...out.config, DKIM_DOMAIN: 'example.org', DKIM_SELECTOR: 'desk', DKIM_PRIVATE_KEY: pem });
    try {
      const r = out.templates.render('approved', 'both', { reference: 'REQ-DKIM1', organizationName: 'Partners Albania', position: 10, version: 2 });
      await tx.sendMail(buildMessage(mail({ id: 'approved.REQ-DKIM1', ...r }), out.config).message);
    } finally {
      tx.close();
    }
    const [got] = await waitForMessages(stack.dovecot, CSO, { match: (x) => x.messageId === '<approved.REQ-DKIM1@example.org>' });
    const resolver = async (name: string, rrtype: string): Promise<string[][]> => {
      if (rrtype === 'TXT' && name.toLowerCase() === 'desk._domainkey.example.org') return [[`v=DKIM1; k=rsa; p=${p}`]];
      throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    };
    const res = await dkimVerify(got!.source, { resolver });
    expect(res.results[0]?.status.result).toBe('pass');
    expect(res.results[0]?.signingDomain).toBe('example.org');
  });
});
