import type { Command } from 'commander';
import { loadConfig, readEnvFile } from '../../../config/load.ts';
import { configuresMailbox, type Config } from '../../../config/schema.ts';
import { createServiceLogger } from '../../adapters/log.ts';
import { formatDuration } from '../../domain/duration.ts';
import { startSandbox, SANDBOX_DEFAULTS, SANDBOX_PASSWORD, type Sandbox } from '../../devstack/sandbox.ts';
import { findSandbox, removeState, writeState } from '../../devstack/state.ts';
import { CliError } from '../io.ts';
import { startService, WORKERS, type RunningService, type WorkerName } from '../service.ts';

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

/** A setting as the banner shows it: durations written back the way they are typed. */
function shown(c: Config, key: string): string {
  const v = (c as Record<string, unknown>)[key];
  if (typeof v === 'number' && /WINDOW|AFTER|TTL|INTERVAL|DELAY/.test(key)) return formatDuration(v);
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

export function sandboxBanner(s: Sandbox, c: Config, o: { statePath: string; forced: boolean; httpUrl: string | null }): string {
  const settings = [...Object.keys(SANDBOX_DEFAULTS), 'APPROVALS_REQUIRED', 'DEFAULT_LANGUAGE', 'REMINDER_AFTER', 'REQUEST_TTL']
    .map((k) => `${k}=${shown(c, k)}`)
    .join('  ');
  const coordinator = c.COORDINATORS[0] ?? 'ana@example.org';
  return [
    '',
    o.forced
      ? 'coalition-desk sandbox: a local mail world on 127.0.0.1 (the configured mailbox, if any, is not used).'
      : 'coalition-desk sandbox: no mailbox is configured (IMAP_HOST unset), so a local mail world runs on 127.0.0.1.',
    `  IMAP 127.0.0.1:${s.imapPort}  SMTP 127.0.0.1:${s.smtpPort}  (no TLS; any address logs in with the password "${SANDBOX_PASSWORD}" and sees its own mailbox)`,
    `  Redis ${s.redis.url} prefix ${c.REDIS_PREFIX} (${s.redis.own ? "the sandbox's own redis-server" : 'no redis-server here: a prefix of its own in this Redis'}; removed at Ctrl-C)`,
    `  Desk ${c.COALITION_ADDRESS}; coordinators ${c.COORDINATORS.join(', ')}; each new statement to ${c.COALITION_LIST.join(', ') || 'nobody'}`,
    `  Settings in force: ${settings}`,
    '    (token mode trusts the token in the approval mail alone: development only; decisions take effect after UNDO_WINDOW)',
    ...(o.httpUrl
      ? [`  Status page ${o.httpUrl}  (any user name, password ${c.HTTP_TOKEN ?? '(HTTP_TOKEN unset: status page off)'}); ${o.httpUrl}metrics, ${o.httpUrl}readyz`]
      : []),
    `  Every coalition command run in this directory talks to this sandbox (state: ${o.statePath}). Next, in another terminal:`,
    '    npx coalition sandbox send --from drita@shoqata.example.net     a join request from a new organisation',
    '    npx coalition requests                                          what is waiting',
    `    npx coalition sandbox reply REQ-… PO                            approve it by mail, as ${coordinator}`,
    '    npx coalition request REQ-…                                     its audit trail',
    '    npx coalition statement                                         the statement with its signatories',
    '  Set IMAP_HOST, IMAP_USER, IMAP_PASSWORD and SMTP_HOST (see .env.example) to serve a real mailbox. Ctrl-C stops and removes everything.',
    '',
  ].join('\n');
}

/**
 * Runs the desk until SIGINT/SIGTERM: against the configured mailbox, or the
 * sandbox when none is configured (`forceSandbox`: always). The sandbox writes
 * its state file where it was started, and removes it, and everything it
 * started, when it stops.
 */
export async function runDesk(o: { only: WorkerName[]; forceSandbox: boolean }): Promise<void> {
  const raw = { ...readEnvFile('.env'), ...process.env };
  let sandbox: Sandbox | null = null;
  let config: Config;
  // A mailbox is configured by IMAP_HOST, or by a provider preset that fills it in.
  if (configuresMailbox(raw) && !o.forceSandbox) {
    config = loadConfig();
  } else {
    const running = findSandbox();
    if (running) {
      throw new CliError(
        `a sandbox is already running here (pid ${running.state.pid}, ${running.path}): stop it first, or talk to it (coalition requests)`,
      );
    }
    sandbox = await startSandbox(raw);
    try {
      config = loadConfig(sandbox.env, null);
    } catch (err) {
      await sandbox.stop();
      throw err;
    }
  }
  const logger = await createServiceLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT });
  let service: RunningService;
  try {
    service = await startService(config, logger, o.only);
  } catch (err) {
    await sandbox?.stop();
    throw err;
  }
  let statePath: string | null = null;
  const onExit = (): void => {
    if (statePath) removeState(statePath);
    sandbox?.stopNow();
  };
  if (sandbox) {
    const httpUrl = service.http?.url ?? null;
    statePath = writeState(process.cwd(), {
      version: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      env: sandbox.env,
      imapPort: sandbox.imapPort,
      smtpPort: sandbox.smtpPort,
      password: SANDBOX_PASSWORD,
      httpUrl,
    });
    process.once('exit', onExit);
    process.stderr.write(sandboxBanner(sandbox, config, { statePath, forced: o.forceSandbox, httpUrl }));
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down');
      const first = Date.now();
      // A second signal while draining means "now" — but not the copy of the same Ctrl-C that
      // `npm start` forwards a moment after the terminal delivered it.
      const again = (): void => {
        if (Date.now() - first > 1000) process.exit(130);
        else process.once(signal, again);
      };
      process.once(signal, again);
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await service.close();
  if (sandbox) {
    await sandbox.stop();
    if (statePath) removeState(statePath);
    process.removeListener('exit', onExit);
  }
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the service: all workers in one process, or a subset with --only (the local sandbox when no mailbox is configured)')
    .option('--only <workers>', `comma-separated subset of ${WORKERS.join(',')}`)
    .addHelpText('after', '\nExamples:\n  coalition start\n  coalition start --only watcher\n  coalition start --only processor,mailer')
    .action(async (opts: { only?: string }) => runDesk({ only: parseOnly(opts.only), forceSandbox: false }));
}
