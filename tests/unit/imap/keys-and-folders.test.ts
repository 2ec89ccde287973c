import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { messageKey, normalizeMessageId, keyWithoutBody } from '../../../src/adapters/imap/message-key.ts';
import { serverPath } from '../../../src/adapters/imap/folders.ts';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('dedup keys', () => {
  it('is the sha256 of the Message-ID in its <id> form, whichever way it is written', () => {
    const want = sha('<abc@example.org>');
    expect(messageKey('<abc@example.org>', Buffer.from('x'))).toBe(want);
    expect(messageKey('  abc@example.org ', Buffer.from('y'))).toBe(want);
    expect(messageKey('<abc@example.org> (comment)', Buffer.from('z'))).toBe(want);
  });

  it('falls back to the hash of the raw bytes when there is no Message-ID', () => {
    const raw = Buffer.from('Subject: no id\r\n\r\nhi');
    expect(messageKey(null, raw)).toBe(sha(raw));
    expect(messageKey('   ', raw)).toBe(sha(raw));
  });

  it('never contains ":" (BullMQ job ids must not)', () => {
    expect(messageKey('<a:b@example.org>', Buffer.alloc(0))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keys an undownloaded message by its place when it has no Message-ID', () => {
    const a = keyWithoutBody(null, { mailbox: 'INBOX', uidValidity: '1', uid: 5 });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(keyWithoutBody(null, { mailbox: 'INBOX', uidValidity: '2', uid: 5 })).not.toBe(a);
    expect(keyWithoutBody('<m@example.org>', { mailbox: 'INBOX', uidValidity: '1', uid: 5 })).toBe(sha('<m@example.org>'));
  });

  it('treats an empty Message-ID as none', () => {
    expect(normalizeMessageId('<>')).toBeNull();
    expect(normalizeMessageId('< >')).toBeNull();
    expect(normalizeMessageId('')).toBeNull();
  });
});

describe('folder paths', () => {
  it('uses the server delimiter between levels', () => {
    expect(serverPath('Coalition/Processed', { delimiter: '.' })).toBe('Coalition.Processed');
    expect(serverPath('Coalition/Processed', { delimiter: '/' })).toBe('Coalition/Processed');
  });

  it('adds the personal namespace prefix where the server has one (RFC 2342)', () => {
    expect(serverPath('Coalition/Quarantine', { delimiter: '.', prefix: 'INBOX.' })).toBe('INBOX.Coalition.Quarantine');
    expect(serverPath('INBOX.Coalition/Ignored', { delimiter: '.', prefix: 'INBOX.' })).toBe('INBOX.Coalition.Ignored');
  });

  it('keeps INBOX as INBOX', () => {
    expect(serverPath('inbox', { delimiter: '.', prefix: 'INBOX.' })).toBe('INBOX');
  });
});
