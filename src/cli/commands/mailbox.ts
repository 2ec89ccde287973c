import type { Command } from 'commander';
import { loadConfig } from '../../../config/load.ts';
import { hasMailbox, type Config } from '../../../config/schema.ts';
import { runBackfill, type BackfillRow } from '../../adapters/imap/backfill.ts';
import { MailboxError } from '../../adapters/imap/connect.ts';
import { QUARANTINE_MAX } from '../../adapters/imap/wiring.ts';
import type { QuarantineRecord } from '../../adapters/imap/ledger.ts';
import { createServiceLogger } from '../../adapters/log.ts';
import { createRedis } from '../../adapters/redis/connection.ts';
import { keyspace } from '../../adapters/redis/keys.ts';
import { createTriage } from '../../../workers/ports.ts';
import { CliError, printJsonLine } from '../io.ts';
import { progress } from '../progress.ts';

function parseDate(value: string, flag: string): Date {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) {
    throw new CliError(`${flag} wants a date like 2025-01-31 or 2025-01-31T08:00:00Z, not "${value}"`, 2);
  }
  return d;
}

function mailboxConfig(): Config {
  const config = loadConfig();
  if (!hasMailbox(config)) throw new CliError('no mailbox configured: set IMAP_HOST, IMAP_USER and IMAP_PASSWORD');
  return config;
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s).replace(/\s+/g, ' ');

function printRow(r: BackfillRow, json: boolean): void {
  if (json) return printJsonLine(r);
  const leave = r.disposition === 'leave';
  const what =
    r.result === 'would'
      ? leave
        ? `would leave it in ${r.folder}`
        : `would file in ${r.folder}`
      : r.result === 'already'
        ? `already handed off (${r.folder})`
        : leave
          ? `${r.result}, left in ${r.folder}`
          : `${r.result}, filed in ${r.folder}`;
  process.stdout.write(
    `${String(r.uid).padStart(6)}  ${r.date.slice(0, 16).replace('T', ' ')}  ${clip(r.from, 32).padEnd(32)}  ${clip(r.subject, 40).padEnd(40)}  ${r.disposition.padEnd(10)}  ${what}: ${clip(r.reason, 60)}\n`,
  );
}

/** `coalition backfill` and `coalition quarantine`: the mailbox on purpose. */
export function registerMailbox(program: Command): void {
  program
    .command('backfill')
    .description('process mail older than PROCESS_SINCE on purpose (the watcher leaves it alone); --dry-run shows what would happen first')
    .requiredOption('--since <date>', 'first day (or moment) of mail to process, e.g. 2025-01-01')
    .option('--until <date>', 'stop before this moment (never later than PROCESS_SINCE)')
    .option('--dry-run', 'list uid, date, from, subject and disposition without queueing or moving anything')
    .option('--json', 'one JSON object per message')
    .action(async (opts: { since: string; until?: string; dryRun?: boolean; json?: boolean }) => {
      const since = parseDate(opts.since, '--since');
      const until = opts.until ? parseDate(opts.until, '--until') : undefined;
      const config = mailboxConfig();
      const redis = createRedis(config.REDIS_URL, 'coalition-backfill');
      redis.on('error', () => undefined);
      // Its logs go to stderr: stdout is the command's output (the rows, or --json).
      const logger = await createServiceLogger({
        level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL,
        format: config.LOG_FORMAT,
        bindings: { command: 'backfill' },
        output: process.stderr,
      });
      // Progress on stderr only (stdout has the rows, or the JSON): redrawn in place on a terminal.
      const shown = progress({ line: (d, t) => `backfill${opts.dryRun ? ' (dry run)' : ''}: ${d} / ${t} messages looked at` });
      try {
        const { rows, until: end } = await runBackfill({
          config,
          redis,
          logger,
          triage: createTriage(config),
          since,
          until,
          dryRun: opts.dryRun === true,
          onRow: (r) => shown.above(() => printRow(r, opts.json === true)),
          onProgress: (d, t) => shown.update(d, t),
        });
        shown.end();
        if (!opts.json) {
          const count = (d: string) => rows.filter((r) => r.disposition === d).length;
          process.stdout.write(
            `${opts.dryRun ? 'dry run: ' : ''}${rows.length} message(s) from ${since.toISOString()} to ${end.toISOString()}: ` +
              `${count('processed')} processed, ${count('ignored')} ignored, ${count('quarantine')} quarantine, ${count('leave')} left in place` +
              `${opts.dryRun ? ' (nothing queued or moved)' : ''}\n`,
          );
        }
      } catch (err) {
        if (err instanceof MailboxError) throw new CliError(err.message);
        throw err;
      } finally {
        shown.end();
        await redis.quit().catch(() => redis.disconnect());
      }
    });

  program
    .command('quarantine')
    .description('list the most recent quarantined messages (uid, reason, Message-ID, time)')
    .option('--limit <n>', 'how many, newest first', '50')
    .option('--json', 'one JSON object per record')
    .action(async (opts: { limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > QUARANTINE_MAX) throw new CliError(`--limit wants a whole number from 1 to ${QUARANTINE_MAX}`, 2);
      const config = loadConfig();
      const redis = createRedis(config.REDIS_URL, 'coalition-cli');
      redis.on('error', () => undefined);
      try {
        const rows = (await redis.lrange(keyspace(config.REDIS_PREFIX).op('quarantine'), 0, limit - 1)).map((r) => JSON.parse(r) as QuarantineRecord);
        for (const q of rows) {
          if (opts.json) printJsonLine(q);
          else process.stdout.write(`${q.at.slice(0, 19).replace('T', ' ')}  uid ${q.uid}  ${q.size} bytes  ${q.messageId ?? '(no Message-ID)'}  ${q.reason}\n`);
        }
        if (!opts.json && rows.length === 0) process.stdout.write('no quarantined messages\n');
      } catch (err) {
        throw new CliError(`cannot read the quarantine records from Redis: ${(err as Error).message}`);
      } finally {
        await redis.quit().catch(() => redis.disconnect());
      }
    });
}
