import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scoreCorpus, scoreRobots } from '../../../scripts/corpus-score.ts';

/**
 * A floor under the reader on every mail set the repository holds: the
 * generated fixtures, and the held-out sets written blind to the reader's code
 * (tests/fixtures/holdout*). Scored exactly as `npm run eval:corpus` scores
 * them. The floors are below today's figures (see the README): a change that
 * makes the reader worse on mail it was not tuned on fails here, and an
 * automatic mail read as a join request always fails.
 */

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const SETS = readdirSync(FIXTURES).filter((d) => existsSync(join(FIXTURES, d, 'expected.json')));

describe('the reader on every mail set in the repository', () => {
  it('finds at least the fixtures and one held-out set', () => {
    expect(SETS).toEqual(expect.arrayContaining(['mail', 'holdout', 'blind-d', 'blind-e', 'blind-f', 'blind-g']));
  });

  it.each(SETS)('never reads an auto-reply or a bounce in %s as a join request, and stays above its floors', async (set) => {
    const s = await scoreCorpus(join(FIXTURES, set));
    expect(s.autoOrBounceAsJoin).toBe(0);
    expect(s.results.kind?.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(s.results['contact.email']?.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(s.results['organization.name']?.accuracy).toBeGreaterThanOrEqual(0.75);
    // No request is lost: every join request reaches the flow or the coordinators.
    expect(s.joinCaught.recall).toBe(1);
    // The safety net stays a net: never a robot, never mail that speaks of none of it, at most 15% of a set.
    expect(s.robotsAsPossible).toBe(0);
    expect(s.possibleWithoutMention).toBe(0);
    expect(s.possible.rate).toBeLessThanOrEqual(0.15);
  });
});

describe('the reader on real mail servers\' automatic mail (sisimai, BSD licence)', () => {
  it('reads at least 98% of it as a bounce or an auto-reply, and none as anything a person would be asked about', async () => {
    const s = await scoreRobots(join(FIXTURES, 'sisimai-bounces'));
    expect(s.files).toBeGreaterThan(300);
    expect(s.askedAbout).toEqual([]);
    expect(s.automatic / s.files).toBeGreaterThanOrEqual(0.98);
  });
});
