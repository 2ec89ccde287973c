import type { Command } from 'commander';
import { loadConfig } from '../../../config/load.ts';
import { hasMailbox } from '../../../config/schema.ts';
import { CliError } from '../io.ts';

export const WORKERS = ['watcher', 'processor', 'mailer'] as const;
export type WorkerName = (typeof WORKERS)[number];

export function parseOnly(value: string | undefined): WorkerName[] {
  if (!value) return [...WORKERS];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(WORKERS as readonly string[]).includes(n));
  if (bad.length || names.length === 0) {
    throw new CliError(`--only takes a comma-separated list of ${WORKERS.join(', ')}; got "${value}"`, 2);
  }
  return [...new Set(names)] as WorkerName[];
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the service: all workers in one process, or a subset with --only')
    .option('--only <workers>', `comma-separated subset of ${WORKERS.join(',')}`)
    .action(async (opts: { only?: string }) => {
      parseOnly(opts.only);
      const config = loadConfig();
      if (!hasMailbox(config)) {
        throw new CliError('no mailbox configured: set IMAP_HOST, IMAP_USER, IMAP_PASSWORD and SMTP_HOST (see .env.example)');
      }
      throw new CliError('the workers are not wired yet');
    });
}
