import { describe, expect, it } from 'vitest';
import { formatSummary, runFaults } from './fault-run.ts';

/**
 * The reduced fault run inside `npm test` (the full one: `npm run test:faults`).
 * Same seed, same stream and faults: FAULTS_SEED picks another.
 */
describe('the desk under faults (reduced run)', () => {
  it('loses, doubles and hangs nothing while it is killed, Redis and Dovecot restart and SMTP refuses for a while', async () => {
    const summary = await runFaults({
      seed: Number(process.env.FAULTS_SEED ?? 14),
      organisations: 16,
      streamMs: 30_000,
      kills: 3,
      redisRestarts: 1,
      dovecotRestarts: 1,
      smtpRefusals: 1,
      // An upper bound: the run ends as soon as everything is final and every queue is idle.
      settleMs: 100_000,
      log: process.env.FAULTS_VERBOSE ? (l) => console.log(l) : undefined,
    });
    console.log(formatSummary(summary));
    expect(summary.violations).toEqual([]);
    expect(summary).toMatchObject({ losses: 0, duplicates: 0, crashes: 0, hangs: 0 });
    expect(summary.requests).toBe(summary.organisations);
    expect(summary.faults.redis + summary.faults.dovecot + summary.faults.smtp).toBe(3);
    expect(summary.faults.kill).toBeGreaterThan(0);
  }, 220_000);
});
