import type { Command } from 'commander';
import { loadConfig, readEnvFile } from '../../../config/load.ts';
import { configuresMailbox, type Config } from '../../../config/schema.ts';
import { createLogger } from '../../adapters/log.ts';
import { startSandbox, SANDBOX_PASSWORD, type Sandbox } from '../../devstack/sandbox.ts';
import { CliError } from '../io.ts';
import { startService, WORKERS, type WorkerName } from '../service.ts';

export function parseOnly(value: string | undefined): WorkerName[] {
  if (!value) return [...WORKERS];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(WORKERS as readonly string[]).includes(n));
  if (bad.length || names.length === 0) {
    throw new CliError(`--only takes a comma-separated list of ${WORKERS.join(', ')}; got "${value}"`, 2);
  }
  return [...new Set(names)] as WorkerName[];
}

function sandboxBanner(s: Sandbox, c: Config): string {
  return [
    '',
    'coalition-desk sandbox: no mailbox is configured (IMAP_HOST unset), so a local mail world runs on 127.0.0.1.',
    `  IMAP 127.0.0.1:${s.imapPort}  SMTP 127.0.0.1:${s.smtpPort}  (no TLS; every mailbox's password: ${SANDBOX_PASSWORD})`,
    `  Write to ${c.COALITION_ADDRESS} from any address through the SMTP port; the desk answers into that address's mailbox.`,
    `  Coordinators: ${c.COORDINATORS.join(', ')} (reply PO / JO to an approval request).`,
    '  Set IMAP_HOST, IMAP_USER, IMAP_PASSWORD and SMTP_HOST (see .env.example) to serve a real mailbox. Ctrl-C stops.',
    '',
  ].join('\n');
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the service: all workers in one process, or a subset with --only (the local sandbox when no mailbox is configured)')
    .option('--only <workers>', `comma-separated subset of ${WORKERS.join(',')}`)
    .action(async (opts: { only?: string }) => {
      const only = parseOnly(opts.only);
      // No mailbox configured: the sandbox supplies one (and defaults for the rest).
      const raw = { ...readEnvFile('.env'), ...process.env };
      let sandbox: Sandbox | null = null;
      let config: Config;
      if (configuresMailbox(raw)) {
        config = loadConfig();
      } else {
        sandbox = await startSandbox(raw);
        try {
          config = loadConfig(sandbox.env, null);
        } catch (err) {
          await sandbox.stop();
          throw err;
        }
      }
      const logger = createLogger(config.LOG_LEVEL);
      let service;
      try {
        service = await startService(config, logger, only);
      } catch (err) {
        await sandbox?.stop();
        throw err;
      }
      if (sandbox) process.stderr.write(sandboxBanner(sandbox, config));
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          logger.info({ signal }, 'shutting down');
          // A second signal while draining means "now".
          process.once(signal, () => process.exit(130));
          resolve();
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await service.close();
      await sandbox?.stop();
    });
}
