import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Redis } from 'ioredis';
import type { Config } from '../../../config/schema.ts';
import { BackupError, exportData, importData, parseBackup } from '../../adapters/redis/backup.ts';
import { keyspace } from '../../adapters/redis/keys.ts';
import { RegistryStore } from '../../adapters/redis/registry-store.ts';
import { loadStatementSource } from '../../adapters/templates/statement-source.ts';
import { foundingVersion, renderStatement, signatoryLine, type StatementFormat } from '../../domain/statement.ts';
import { CliError, printJsonLine, printText } from '../io.ts';
import { progress } from '../progress.ts';
import { withRedis } from '../with-redis.ts';

/**
 * `coalition statement`, `signatories`, `export`, `import`. They read the
 * registry; none of them seeds it (a fresh registry shows the founding
 * statement from templates/statement/ without writing anything), so
 * `import` into a fresh Redis is never blocked by a read.
 */

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--version must be a positive whole number, not "${v}"`, 2);
  return n;
}

/**
 * Timers are not in a backup: every one a restored request waits for is scheduled again, and the effects
 * pending when the backup was taken are performed (mails are queued for the running mailer). BullMQ and the
 * flow are loaded here only, so `coalition statement` stays quick.
 */
async function rebuildTimersAndEffects(redis: Redis, config: Config): Promise<void> {
  const [{ Queue }, { buildFlow }, { silentLogger }, { flowSettings }, { QUEUES }, { rebuildAfterRestore }] = await Promise.all([
    import('bullmq'),
    import('../../../workers/processor.ts'),
    import('../../adapters/log.ts'),
    import('../../app/flow.ts'),
    import('../../contracts/queues.ts'),
    import('../../app/restore.ts'),
  ]);
  const ks = keyspace(config.REDIS_PREFIX);
  const parts = await buildFlow({ config, redis, logger: silentLogger });
  const conn = redis.duplicate();
  conn.on('error', () => undefined);
  const timers = new Queue(QUEUES.timers, { connection: conn, prefix: ks.bull });
  // On stderr: a line redrawn in place on a terminal, a plain line every tenth (or every few seconds) otherwise.
  const shown = progress({ line: (d, t) => `restored ${d} / ${t} requests` });
  try {
    const done = await rebuildAfterRestore(
      parts.flow,
      {
        async reschedule(t) {
          // A finished job keeps its id (and would make the add a no-op): a restore may need that timer again.
          const old = await timers.getJob(t.jobId);
          if (old && ((await old.isCompleted()) || (await old.isFailed()))) await old.remove();
          await parts.flow.d.timers.schedule(t);
        },
      },
      flowSettings(config),
      (d, t) => shown.update(d, t),
    );
    shown.end();
    process.stderr.write(`scheduled ${done.timers} timer(s) for ${done.requests} request(s); performed the pending effects of ${done.effects}\n`);
  } finally {
    shown.end();
    await timers.close();
    await conn.quit().catch(() => undefined);
    await parts.close();
  }
}

export function registerStatement(program: Command): void {
  program
    .command('statement')
    .description('print the joint statement (latest version, or --version N)')
    .option('--version <n>', 'statement version number', positiveInt)
    .option('--format <format>', 'text, md or html', 'text')
    .option('--json', 'the version as data: its number, date, change and numbered signatories, with the text')
    .action(async (o: { version?: number; format: string; json?: boolean }) => {
      if (!['text', 'md', 'html'].includes(o.format)) throw new CliError(`--format must be text, md or html, not "${o.format}"`, 2);
      const source = loadStatementSource();
      await withRedis(async (redis, config) => {
        const store = new RegistryStore(redis, keyspace(config.REDIS_PREFIX), source.founding);
        const latest = await store.currentNumber();
        let version;
        if (o.version !== undefined) {
          version = await store.version(o.version);
          if (!version && latest === null && o.version === 1) version = foundingVersion(source.founding, new Date());
          if (!version) throw new CliError(`there is no version ${o.version} (latest is ${latest ?? 1})`);
        } else {
          version = (await store.current()) ?? foundingVersion(source.founding, new Date());
        }
        const rendered = renderStatement(source.document, version, o.format as StatementFormat, { joinAddress: config.COALITION_ADDRESS });
        if (o.json) printJsonLine({ ...version, signatories: version.signatories.map((sig, i) => ({ position: i + 1, ...sig })), text: rendered });
        else printText(rendered);
      });
    });

  program
    .command('signatories')
    .description('list the signatories of the latest statement version')
    .option('--json', 'one JSON object per signatory')
    .action(async (o: { json?: boolean }) => {
      const source = loadStatementSource();
      await withRedis(async (redis, config) => {
        const store = new RegistryStore(redis, keyspace(config.REDIS_PREFIX), source.founding);
        const version = (await store.current()) ?? foundingVersion(source.founding, new Date());
        version.signatories.forEach((s, i) => {
          if (o.json) printJsonLine({ position: i + 1, ...s });
          else printText(`${i + 1}. ${signatoryLine(s)}${s.contactEmail ? ` <${s.contactEmail}>` : ''}  [${s.source}]\n`);
        });
        if (!o.json) process.stdout.write(`(statement version ${version.number}, ${version.date.slice(0, 10)})\n`);
      });
    });

  program
    .command('export')
    .description('write every durable record (registry, versions, requests, audit) as JSON to stdout')
    .action(async () => {
      await withRedis(async (redis, config) => {
        const backup = await exportData(redis, keyspace(config.REDIS_PREFIX));
        process.stdout.write(`${JSON.stringify(backup, null, 2)}\n`);
        process.stderr.write(`exported ${backup.keys.length} keys\n`);
      });
    });

  program
    .command('import')
    .description('restore a backup made by `coalition export` into an empty Redis')
    .argument('<file>', 'backup JSON file')
    .option('--force', 'replace the data that already exists')
    .action(async (file: string, o: { force?: boolean }) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      await withRedis(async (redis, config) => {
        try {
          const r = await importData(redis, keyspace(config.REDIS_PREFIX), parseBackup(text), { force: o.force });
          process.stderr.write(`imported ${r.keys} keys${r.replaced ? ` (replaced ${r.replaced})` : ''}\n`);
        } catch (err) {
          if (err instanceof BackupError) throw new CliError(err.message, err.code === 'DATA_EXISTS' ? 3 : 1);
          throw err;
        }
        await rebuildTimersAndEffects(redis, config);
      });
    });
}
