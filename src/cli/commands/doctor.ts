import type { Command } from 'commander';
import { Redis } from 'ioredis';
import { loadConfig } from '../../../config/load.ts';
import { hasMailbox, type Config } from '../../../config/schema.ts';
import { createImapClient, imapSettings } from '../../adapters/imap/connect.ts';
import { createSmtpTransport } from '../../adapters/smtp/transport.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** Redacts every configured secret from a message that came back from a server or library. */
function scrub(message: string, config: Config): string {
  let out = message;
  for (const secret of [config.IMAP_PASSWORD, config.SMTP_PASSWORD, config.TOKEN_SECRET]) {
    if (secret) out = out.split(secret).join('[secret]');
  }
  try {
    const u = new URL(config.REDIS_URL);
    if (u.password) out = out.split(u.password).join('[secret]');
  } catch {
    /* not a URL: nothing to hide */
  }
  return out.replace(/\s*\n\s*/g, ' ');
}

function redisTarget(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 6379}`;
}

async function checkRedis(config: Config): Promise<Check> {
  const r = new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3000 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    const info = await r.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    const policy = (await r.config('GET', 'maxmemory-policy').catch(() => [])) as string[];
    const evicting = policy[1] && policy[1] !== 'noeviction';
    return {
      name: 'redis',
      ok: !evicting,
      detail: evicting
        ? `Redis ${version} at ${redisTarget(config.REDIS_URL)} has maxmemory-policy ${policy[1]}; BullMQ needs noeviction`
        : `Redis ${version} at ${redisTarget(config.REDIS_URL)}`,
    };
  } catch (err) {
    return { name: 'redis', ok: false, detail: `cannot reach Redis at ${redisTarget(config.REDIS_URL)}: ${scrub((err as Error).message, config)}` };
  } finally {
    r.disconnect();
  }
}

async function checkImap(config: Config): Promise<Check> {
  // The very client and transport the service uses, so what doctor proves is what runs.
  const client = createImapClient(imapSettings(config), { socketTimeoutMs: 15_000, connectTimeoutMs: 10_000 });
  client.on('error', () => undefined);
  const where = `${config.IMAP_USER}@${config.IMAP_HOST}:${config.IMAP_PORT}`;
  try {
    await client.connect();
  } catch (err) {
    const e = err as Error & { authenticationFailed?: boolean; code?: string };
    const what = e.authenticationFailed ? 'IMAP login failed (wrong user or password)' : `IMAP connection failed (${e.code ?? scrub(e.message, config)})`;
    return { name: 'imap', ok: false, detail: `${what} for ${where}` };
  }
  try {
    const status = await client.status(config.IMAP_MAILBOX, { messages: true, uidValidity: true });
    const idle = client.capabilities.has('IDLE') ? 'IDLE supported' : 'no IDLE: polling only';
    return { name: 'imap', ok: true, detail: `logged in as ${where}; ${config.IMAP_MAILBOX} holds ${status ? (status.messages ?? 0) : 0} message(s); ${idle}` };
  } catch (err) {
    return { name: 'imap', ok: false, detail: `mailbox ${config.IMAP_MAILBOX} cannot be opened: ${scrub((err as Error).message, config)}` };
  } finally {
    await client.logout().catch(() => undefined);
  }
}

async function checkSmtp(config: Config): Promise<Check> {
  const transport = createSmtpTransport(config);
  const where = `${config.SMTP_HOST}:${config.SMTP_PORT}`;
  try {
    await transport.verify();
    return { name: 'smtp', ok: true, detail: `SMTP server at ${where} accepts ${config.SMTP_USER ? 'our login' : 'connections'}` };
  } catch (err) {
    const e = err as Error & { code?: string };
    const what = e.code === 'EAUTH' ? 'SMTP login failed (wrong user or password)' : `SMTP connection failed (${e.code ?? scrub(e.message, config)})`;
    return { name: 'smtp', ok: false, detail: `${what} at ${where}` };
  } finally {
    transport.close();
  }
}

/** Runs every check; never throws for a failing server, only reports it. */
export async function runDoctor(env: Record<string, string | undefined> = process.env): Promise<Check[]> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    return [{ name: 'config', ok: false, detail: (err as Error).message }];
  }
  const checks: Check[] = [{ name: 'config', ok: true, detail: `${config.COORDINATORS.length} coordinator(s), auth mode ${config.COORDINATOR_AUTH}` }];
  checks.push(await checkRedis(config));
  if (hasMailbox(config)) {
    checks.push(await checkImap(config));
    checks.push(await checkSmtp(config));
  } else {
    checks.push({ name: 'imap', ok: false, detail: 'no mailbox configured (IMAP_HOST unset): `coalition start` would run the local sandbox' });
  }
  return checks;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the configuration and the connections to Redis, IMAP and SMTP; exits 1 when any check fails')
    .action(async () => {
      const checks = await runDoctor();
      for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(6)} ${c.detail}\n`);
      const failed = checks.filter((c) => !c.ok);
      if (failed.length) {
        process.stderr.write(`coalition: doctor found ${failed.length} problem(s): ${failed.map((c) => c.name).join(', ')}\n`);
        process.exitCode = 1;
      }
    });
}
