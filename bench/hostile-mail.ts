/**
 * Peak memory of the running desk for each hostile mail of issue 12. For every
 * case, a fresh harness stack and the real desk (`node bin/coalition.js start`,
 * all workers in one process) are started; the mail is delivered over LMTP;
 * the desk's VmRSS is sampled every 50 ms and its VmHWM (the kernel's peak)
 * read until the mail is filed or the desk dies; then a normal join request
 * checks that the desk still acknowledges. Not a test:
 *
 *   npx tsx bench/hostile-mail.ts [case ...]      (default: every case)
 *
 * Cases: join (a normal request, the baseline), poison-pdf (40 streams of 4 MB),
 * pdf-5 (5 such streams), docx-set (998 DOCX letters of 4 MB of text),
 * deep-html (200,000 nested <div>), deep-html-3 (three such parts).
 * Target: peak RSS under 400 MB, the desk alive, the next request acknowledged.
 *
 *   npx tsx bench/hostile-mail.ts --thread [case ...]
 *
 * reads each case with every budget off, in a process of its own, to show what
 * the reader thread's heap and time limits alone hold a message to.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { deepHtmlMail, docxSetMail, poisonPdfMail } from '../tests/harness/hostile-mail.ts';
import { deliver } from '../tests/harness/mailbox.ts';
import { CSO, INFO, startStack, type Stack } from '../tests/harness/stack.ts';

const BIN = fileURLToPath(new URL('../bin/coalition.js', import.meta.url));
const TARGET_MB = 400;
const FILE_TIMEOUT_MS = 300_000;
const ACK_TIMEOUT_MS = 120_000;

function joinRequest(tag: string): Buffer {
  return Buffer.from(
    [
      `From: Arta Hoxha <${CSO}>`,
      `To: ${INFO}`,
      'Subject: Request to join the Coalition',
      `Message-ID: <bench-${tag}-${Date.now()}@cso.example.net>`,
      `Date: ${new Date().toUTCString()}`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Dear Coalition,',
      '',
      `Our organisation, Qendra ${tag} (QB), based in Tirana, would like to join the Coalition and sign the Joint Statement.`,
      '',
      'Best regards,',
      'Arta Hoxha',
      '',
    ].join('\r\n'),
  );
}

const CASES: Record<string, () => Buffer> = {
  join: () => joinRequest('Baseline'),
  'poison-pdf': () => poisonPdfMail({ messageId: `<poison-pdf.${Date.now()}@poison.example.net>` }),
  'pdf-5': () => poisonPdfMail({ streams: 5, messageId: `<pdf-5.${Date.now()}@poison.example.net>` }),
  'docx-set': () => docxSetMail({ messageId: `<docx-set.${Date.now()}@poison.example.net>` }),
  'deep-html': () => deepHtmlMail({ messageId: `<deep-html.${Date.now()}@poison.example.net>` }),
  'deep-html-3': () => deepHtmlMail({ parts: 3, messageId: `<deep-html-3.${Date.now()}@poison.example.net>` }),
};

interface Figures {
  case: string;
  wireKB: number;
  idleMB: number;
  peakMB: number;
  fileS: number | null;
  filed: string;
  survived: string;
  nextAck: string;
}

const status = (pid: number, field: 'VmRSS' | 'VmHWM'): number | null => {
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : null;
  } catch {
    return null;
  }
};

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function runCase(name: string, build: () => Buffer): Promise<Figures> {
  const stack: Stack = await startStack({ env: { IMAP_POLL_INTERVAL: '1s', UNDO_WINDOW: '0' } });
  const logs: Record<string, unknown>[] = [];
  const desk = spawn(process.execPath, [BIN, 'start'], {
    cwd: mkdtempSync(join(tmpdir(), 'bench-desk-')),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...stack.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exit: string | null = null;
  desk.once('exit', (code, signal) => (exit = signal ? `killed by ${signal}` : `exit ${code}`));
  createInterface({ input: desk.stdout! }).on('line', (l) => {
    try {
      logs.push(JSON.parse(l) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  });
  let stderr = '';
  desk.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  const pid = desk.pid!;
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, status(pid, 'VmRSS') ?? 0, status(pid, 'VmHWM') ?? 0);
  }, 50);
  try {
    if (!(await until(() => logs.some((l) => l.msg === 'coalition desk running') || exit !== null, 60_000))) throw new Error('the desk did not start');
    if (exit) throw new Error(`the desk did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 2000));
    const idle = status(pid, 'VmRSS') ?? 0;

    const raw = build();
    const filedBefore = (): Record<string, unknown>[] => logs.filter((l) => l.msg === 'message quarantined' || l.msg === 'message queued and filed');
    const t0 = Date.now();
    await deliver(stack.dovecot, INFO, raw);
    const filedIn = (await until(() => filedBefore().length > 0 || exit !== null, FILE_TIMEOUT_MS)) && filedBefore().length > 0 ? (Date.now() - t0) / 1000 : null;
    const filing = filedBefore()[0];
    const filed = filing ? `${String(filing.disposition ?? 'quarantine')}${filing.reason ? `: ${String(filing.reason).slice(0, 70)}` : ''}` : exit ? 'never (the desk died)' : 'not within 300 s';
    peak = Math.max(peak, status(pid, 'VmHWM') ?? 0);

    let nextAck = 'desk down';
    if (exit === null) {
      const acksBefore = stack.smtp.deliveriesTo(CSO).length;
      const t1 = Date.now();
      await deliver(stack.dovecot, INFO, joinRequest(`After${name.replace(/\W/g, '')}`));
      const ok = await until(() => stack.smtp.deliveriesTo(CSO).length > acksBefore || exit !== null, ACK_TIMEOUT_MS);
      nextAck = ok && exit === null ? `yes, ${((Date.now() - t1) / 1000).toFixed(1)} s` : exit ? 'desk died' : 'no';
      peak = Math.max(peak, status(pid, 'VmHWM') ?? 0);
    }
    return {
      case: name,
      wireKB: Math.round(raw.length / 1024),
      idleMB: Math.round(idle),
      peakMB: Math.round(peak),
      fileS: filedIn === null ? null : Math.round(filedIn * 10) / 10,
      filed,
      survived: exit ?? 'yes',
      nextAck,
    };
  } finally {
    clearInterval(sampler);
    if (exit === null) {
      const gone = new Promise((r) => desk.once('exit', r));
      desk.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
      if (exit === null) desk.kill('SIGKILL');
    }
    await stack.stop();
  }
}

/**
 * `--thread`: the reader thread's own limits, with every budget off, as if a
 * message found a way past them all: each case is read by an IsolatedReader in
 * a process of its own, and that process's idle and peak RSS are reported.
 */
const NO_BUDGETS = { maxParts: 1e9, maxPartsRead: 1e9, maxTextBytes: 1e12, maxInflatedBytes: 1e12, bombRatio: 1e9, maxHtmlDepth: 1e9, maxHtmlCells: 1e9 };

async function threadChild(name: string): Promise<void> {
  const { IsolatedReader } = await import('../src/adapters/mime/index.ts');
  const reader = new IsolatedReader({ limits: NO_BUDGETS });
  await reader.read(joinRequest('Warm-up'));
  const raw = CASES[name]!();
  global.gc?.();
  const idle = status(process.pid, 'VmRSS') ?? 0;
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, status(process.pid, 'VmRSS') ?? 0)), 50);
  const t0 = Date.now();
  const result = await reader.read(raw).then(
    (r) => `read (${r.mail.text.length + r.mail.attachments.reduce((n, a) => n + (a.text?.length ?? 0), 0)} characters of text)`,
    (err: Error) => err.message,
  );
  const seconds = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  const after = await reader.read(joinRequest('After')).then(() => 'yes', (err: Error) => `no: ${err.message}`);
  await reader.close();
  peak = Math.max(peak, status(process.pid, 'VmHWM') ?? 0);
  console.log(JSON.stringify({ case: name, idleMB: Math.round(idle), peakMB: Math.round(peak), seconds, result, nextRead: after }));
}

function threadCases(names: string[]): void {
  console.log('| case (budgets off) | process idle | process peak RSS | outcome | next message read |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const name of names) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', fileURLToPath(import.meta.url), '--thread-child', name], { encoding: 'utf8' });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    try {
      const f = JSON.parse(line) as { idleMB: number; peakMB: number; seconds: number; result: string; nextRead: string };
      console.log(`| ${name} | ${f.idleMB} MB | ${f.peakMB} MB | ${f.result.slice(0, 80)} after ${f.seconds.toFixed(1)} s | ${f.nextRead} |`);
    } catch {
      console.log(`| ${name} | – | – | the process failed: ${(r.stderr || line).slice(-200).replace(/\n/g, ' ')} | – |`);
    }
  }
}

const childCase = process.argv.indexOf('--thread-child');
if (childCase >= 0) {
  await threadChild(process.argv[childCase + 1] ?? '');
  process.exit(0);
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(CASES);
if (process.argv.includes('--thread')) {
  threadCases(names);
  process.exit(0);
}
const rows: Figures[] = [];
for (const name of names) {
  const build = CASES[name];
  if (!build) throw new Error(`unknown case ${name}; cases: ${Object.keys(CASES).join(', ')}`);
  const r = await runCase(name, build);
  rows.push(r);
  console.log(JSON.stringify(r));
}
console.log('\n| case | on the wire | desk idle | desk peak RSS | filed after | filed as | desk alive | next request acknowledged |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.case} | ${r.wireKB} KB | ${r.idleMB} MB | ${r.peakMB} MB | ${r.fileS === null ? '–' : `${r.fileS} s`} | ${r.filed} | ${r.survived} | ${r.nextAck} |`);
}
const over = rows.filter((r) => r.peakMB >= TARGET_MB || r.survived !== 'yes' || !r.nextAck.startsWith('yes'));
console.log(over.length ? `\nFAIL: ${over.map((r) => r.case).join(', ')} (target: peak < ${TARGET_MB} MB, desk alive, next request acknowledged)` : `\nOK: every case under ${TARGET_MB} MB, desk alive, next request acknowledged`);
process.exitCode = over.length ? 1 : 0;
