/**
 * End-to-end latency and throughput of the whole desk (real watcher, processor
 * and mailer, real triage and reader) against the harness stack: a join request
 * delivered into info@ over LMTP → the acknowledgement stored in the sender's
 * Dovecot INBOX. Not a test: `npx tsx bench/join-to-ack.ts [N]`.
 *
 * Phase 1 (latency): N requests one at a time; each figure is one request's trip.
 * Phase 2 (throughput): N requests delivered at once; time until all are acknowledged.
 */
import { loadConfig } from '../config/load.ts';
import { silentLogger } from '../src/adapters/log.ts';
import { startService } from '../src/cli/service.ts';
import { deliver, listMessages } from '../tests/harness/mailbox.ts';
import { INFO, startStack } from '../tests/harness/stack.ts';

const N = Number(process.argv[2] ?? 20);

const ORGS = ['Qendra Rinore', 'Shoqata Mjedisore', 'Fondacioni Qytetar', 'Instituti i Politikave', 'Rrjeti i Grave'];
const CITIES = ['Tiranë', 'Durrës', 'Shkodër', 'Korçë', 'Vlorë', 'Elbasan'];

function request(i: number, tag: string): { raw: string; from: string } {
  const from = `kontakt${tag}${i}@org${tag}${i}.example.net`;
  const org = `${ORGS[i % ORGS.length]} ${tag.toUpperCase()}${i}`;
  const city = CITIES[i % CITIES.length];
  const raw = [
    `From: Arta Demi <${from}>`,
    `To: ${INFO}`,
    'Subject: =?UTF-8?B?' + Buffer.from('Kërkesë për anëtarësim').toString('base64') + '?=',
    `Message-ID: <bench-${tag}-${i}-${Date.now()}@org${i}.example.net>`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    'Përshëndetje,',
    '',
    `${org} nga ${city} dëshiron të anëtarësohet në Koalicion dhe të nënshkruajë Deklaratën e Përbashkët.`,
    '',
    'Me respekt,',
    'Arta Demi',
    org,
    city,
    '',
  ].join('\r\n');
  return { raw, from };
}

async function acked(address: string): Promise<boolean> {
  // The capture records a mail only once LMTP has stored it in the recipient's INBOX.
  return stackRef.smtp.deliveriesTo(address).length > 0;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const stackRef = await startStack({ env: { UNDO_WINDOW: '0', SMTP_RATE_PER_SECOND: '1000', APPROVAL_DIGEST: 'off' } });
const config = loadConfig(stackRef.env, null);
const service = await startService(config, silentLogger);
try {
  // Mailboxes for every sender up front: Dovecot sees a new passwd-file entry
  // only after up to a second, which would be measured as desk latency.
  for (let i = 0; i < N; i++) for (const tag of ['a', 'b']) stackRef.dovecot.addUser(request(i, tag).from, 'x');
  await new Promise((r) => setTimeout(r, 2000)); // watcher connected and idling; passwd-file re-read
  const lat: number[] = [];
  for (let i = 0; i < N; i++) {
    const { raw, from } = request(i, 'a');
    const t0 = performance.now();
    await deliver(stackRef.dovecot, INFO, raw, from);
    while (!(await acked(from))) await new Promise((r) => setTimeout(r, 10));
    lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  console.log(
    `latency (join request delivered → acknowledgement in the sender's INBOX), n=${N}: ` +
      `p50 ${pct(lat, 50).toFixed(0)} ms, p95 ${pct(lat, 95).toFixed(0)} ms, max ${pct(lat, 100).toFixed(0)} ms`,
  );

  const batch = Array.from({ length: N }, (_, i) => request(i, 'b'));
  const t0 = performance.now();
  for (const { raw, from } of batch) await deliver(stackRef.dovecot, INFO, raw, from);
  const pending = new Set(batch.map((b) => b.from));
  while (pending.size) {
    for (const a of [...pending]) if (await acked(a)) pending.delete(a);
    await new Promise((r) => setTimeout(r, 50));
  }
  const s = (performance.now() - t0) / 1000;
  const stored = await listMessages(stackRef.dovecot, batch[0]?.from ?? '');
  if (stored.length !== 1) throw new Error(`expected one acknowledgement in the mailbox, found ${stored.length}`);
  console.log(`throughput: ${N} requests acknowledged in ${s.toFixed(1)} s (${(N / s).toFixed(1)} requests/s, each also sends 2 approval requests)`);
  const mem = process.memoryUsage();
  console.log(`memory of the desk process: rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`);
} finally {
  await service.close();
  await stackRef.stop();
}
