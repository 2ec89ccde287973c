import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../config/load.ts';
import { hasMailbox } from '../../../config/schema.ts';
import { parseDuration } from '../../../src/domain/duration.ts';

const NO_FILE = '/nonexistent/.env';
const minimal = { COALITION_ADDRESS: 'info@example.org', COORDINATORS: 'ana@example.org' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, NO_FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems.map((p) => p.variable);
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration', () => {
  it('reports three bad variables together in one error', () => {
    const env = { ...minimal, IMAP_PORT: 'not-a-port', SMTP_SECURE: 'maybe', COORDINATORS: 'ana@example.org, not-an-address' };
    let error: unknown;
    try {
      loadConfig(env, NO_FILE);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['IMAP_PORT', 'SMTP_SECURE', 'COORDINATORS']) expect(message).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it('names a missing required variable as required', () => {
    expect(problemsOf({ COORDINATORS: 'ana@example.org' })).toEqual(['COALITION_ADDRESS']);
  });

  it('reports cross-field problems even when another variable fails to parse', () => {
    const names = problemsOf({ ...minimal, IMAP_HOST: 'imap.example.org', UNDO_WINDOW: 'soon' });
    expect(names).toEqual(expect.arrayContaining(['IMAP_USER', 'IMAP_PASSWORD', 'SMTP_HOST', 'UNDO_WINDOW']));
  });

  it('never echoes a secret value in its error', () => {
    const secret = 'hunter2-very-secret-value';
    try {
      loadConfig({ ...minimal, IMAP_HOST: 'imap.example.org', IMAP_PASSWORD: secret, TOKEN_SECRET: 'short' }, NO_FILE);
      throw new Error('expected failure');
    } catch (err) {
      expect((err as Error).message).not.toContain(secret);
      expect((err as Error).message).toContain('TOKEN_SECRET');
    }
  });

  it('reads "false" as false, not as a truthy string', () => {
    const c = loadConfig({ ...minimal, IMAP_SECURE: 'false', SMTP_SECURE: 'true' }, NO_FILE);
    expect(c.IMAP_SECURE).toBe(false);
    expect(c.SMTP_SECURE).toBe(true);
  });

  it('splits coordinators and the coalition list on commas', () => {
    const c = loadConfig({ ...minimal, COORDINATORS: ' ana@example.org ,besa@example.org', COALITION_LIST: 'list@example.org' }, NO_FILE);
    expect(c.COORDINATORS).toEqual(['ana@example.org', 'besa@example.org']);
    expect(c.COALITION_LIST).toEqual(['list@example.org']);
  });

  it('refuses more required approvals than there are coordinators', () => {
    expect(problemsOf({ ...minimal, APPROVALS_REQUIRED: '2' })).toEqual(['APPROVALS_REQUIRED']);
  });

  it('uses the documented defaults', () => {
    const c = loadConfig(minimal, NO_FILE);
    expect(c.IMAP_MAILBOX).toBe('INBOX');
    expect(c.COORDINATOR_AUTH).toBe('dkim');
    expect(c.UNDO_WINDOW).toBe(15 * 60_000);
    expect(c.REMINDER_AFTER).toBe(3 * 86_400_000);
    expect(hasMailbox(c)).toBe(false);
  });

  it('leaves unrelated mail in the mailbox unless UNRELATED_MAIL says folder or forward', () => {
    expect(loadConfig(minimal, NO_FILE).UNRELATED_MAIL).toBe('leave');
    expect(loadConfig({ ...minimal, UNRELATED_MAIL: 'folder' }, NO_FILE).UNRELATED_MAIL).toBe('folder');
    expect(loadConfig({ ...minimal, UNRELATED_MAIL: 'forward' }, NO_FILE).UNRELATED_MAIL).toBe('forward');
    expect(problemsOf({ ...minimal, UNRELATED_MAIL: 'delete' })).toEqual(['UNRELATED_MAIL']);
  });

  it('stops on the old OTHER_MAIL, naming it and UNRELATED_MAIL, in the one message with every other bad setting', () => {
    let error: unknown;
    try {
      loadConfig({ ...minimal, OTHER_MAIL: 'forward', IMAP_PORT: 'not-a-port' }, NO_FILE);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems.map((p) => p.variable).sort()).toEqual(['IMAP_PORT', 'OTHER_MAIL']);
    expect(message).toMatch(/OTHER_MAIL is no longer read: use UNRELATED_MAIL instead \(OTHER_MAIL=forward is now UNRELATED_MAIL=forward/);
    expect(problemsOf({ ...minimal, OTHER_MAIL: 'folder', UNRELATED_MAIL: 'folder' })).toEqual(['OTHER_MAIL']);
  });

  it('treats empty values as unset', () => {
    const c = loadConfig({ ...minimal, IMAP_HOST: '', SMTP_USER: '' }, NO_FILE);
    expect(c.IMAP_HOST).toBeUndefined();
  });
});

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['3d', 259_200_000],
    ['1h30m', 5_400_000],
    ['0', 0],
    ['250ms', 250],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '15', '3 days', '-1s'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
});
