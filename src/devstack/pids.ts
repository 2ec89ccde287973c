import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * When COALITION_PID_DIR is set (the integration test run sets it), every
 * server the devstack spawns notes its pid there, so the run can prove at the
 * end that it left none running. Dovecot clears its own environment, so an
 * inherited marker would not do.
 */
export function recordPid(pid: number | undefined, what: string): void {
  const dir = process.env.COALITION_PID_DIR;
  if (!dir || pid === undefined) return;
  appendFileSync(join(dir, 'pids'), `${pid} ${what}\n`);
}
