import { describe, expect, it } from 'vitest';
import { formatSummary, LOAD_ENV, runFaults } from './fault-run.ts';

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

/**
 * The load run reduced (the full one: `npm run test:faults -- --load`): a burst of requests with the mail caps
 * lifted, coordinators deciding as each approval request arrives. No time or memory targets here: those belong
 * to the full run on a quiet machine.
 */
describe('the desk under load (reduced run)', () => {
  it('acknowledges, decides and announces every one of 120 requests arriving within 15 s, holding no mail back', async () => {
    const summary = await runFaults({
      seed: Number(process.env.FAULTS_SEED ?? 14),
      organisations: 120,
      streamMs: 15_000,
      arrivalShare: 1,
      twiceShare: 0,
      kills: 0,
      redisRestarts: 0,
      dovecotRestarts: 0,
      smtpRefusals: 0,
      decideWithinMs: 0,
      settleMs: 60_000,
      env: LOAD_ENV,
      mtaConcurrency: 8,
      log: process.env.FAULTS_VERBOSE ? (l) => console.log(l) : undefined,
    });
    console.log(formatSummary(summary));
    expect(summary.violations).toEqual([]);
    expect(summary).toMatchObject({ requests: 120, losses: 0, duplicates: 0, crashes: 0, hangs: 0, capped: 0 });
    expect(summary.approved + summary.rejected).toBe(120);
    expect(summary.statementVersion).toBe(summary.approved + 1);
  }, 120_000);
});
