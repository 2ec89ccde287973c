import { readEnvFile } from '../../config/load.ts';
import { findSandbox } from '../devstack/state.ts';

/**
 * When no mailbox is configured (the condition under which `coalition start`
 * runs the sandbox) and a sandbox is running in this directory or above it,
 * the command takes the sandbox's settings, so `coalition requests`, `doctor`
 * or `approve` see the desk that is running instead of an empty one, and says
 * so on one line (stderr, so JSON output stays clean). A configured mailbox
 * always wins: then the sandbox is not this desk.
 */
export function useRunningSandbox(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): boolean {
  const raw = { ...readEnvFile('.env'), ...env };
  if (raw.IMAP_HOST?.trim()) return false;
  const found = findSandbox(cwd);
  if (!found) return false;
  Object.assign(env, found.state.env);
  const s = found.state;
  process.stderr.write(
    `coalition: using the sandbox running here (pid ${s.pid}, since ${s.startedAt.slice(0, 19).replace('T', ' ')} UTC; IMAP 127.0.0.1:${s.imapPort}, SMTP 127.0.0.1:${s.smtpPort}; ${found.path})\n`,
  );
  return true;
}
