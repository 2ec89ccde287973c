import { afterAll, describe, expect, it } from 'vitest';
import { IsolatedReader, MimeError, parseRaw, parseRawIsolated } from '../../../src/adapters/mime/index.ts';
import { deepHtmlMail, docxSetMail, poisonPdfMail } from '../../harness/hostile-mail.ts';
import { bounce, message } from './builders.ts';

/** Budgets so large that nothing but the thread's own limits stops a reading. */
const NO_BUDGETS = {
  maxParts: 1e9,
  maxPartsRead: 1e9,
  maxTextBytes: 1e12,
  maxInflatedBytes: 1e12,
  bombRatio: 1e9,
  maxHtmlDepth: 1e9,
};

// A thread that fills its heap, or is replaced, takes seconds on a busy machine: these are waits, not timings.
describe('reading mail in the reader thread', { timeout: 60_000 }, () => {
  const readers: IsolatedReader[] = [];
  const reader = (o: ConstructorParameters<typeof IsolatedReader>[0] = {}): IsolatedReader => {
    const r = new IsolatedReader(o);
    readers.push(r);
    return r;
  };
  afterAll(async () => {
    await Promise.all(readers.map((r) => r.close()));
  });

  it('reads a message exactly as parseRaw does', async () => {
    const raw = message({ subject: 'Kërkesë për anëtarësim', text: 'Dëshirojmë të anëtarësohemi.', html: '<p>Dëshirojmë</p>', attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: 'shtojcë' }] });
    expect(await parseRawIsolated(raw)).toEqual(await parseRaw(raw));
    const dsn = bounce();
    expect(await parseRawIsolated(dsn)).toEqual(await parseRaw(dsn));
  });

  it('refuses what parseRaw refuses, with the same code', async () => {
    await expect(parseRawIsolated('')).rejects.toMatchObject({ name: 'MimeError', code: 'MIME_UNPARSEABLE' });
    const err = await parseRawIsolated(poisonPdfMail()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MimeError);
    expect(err).toMatchObject({ code: 'MIME_HOSTILE', message: expect.stringMatching(/decompression bombs/) });
  });

  it('fails a message that exhausts the thread’s memory with MIME_READER_FAILED, and reads the next one', async () => {
    const r = reader({ limits: NO_BUDGETS, maxOldGenerationSizeMb: 64 });
    await expect(r.read(docxSetMail({ parts: 200 }))).rejects.toMatchObject({ code: 'MIME_READER_FAILED', message: expect.stringMatching(/out of memory/) });
    expect(r.replaced).toBe(1);
    const next = await r.read(message({ subject: 'Next', text: 'hello' }));
    expect(next.mail.subject).toBe('Next');
  });

  it('fails a message that outlasts the time limit with MIME_READER_FAILED, and reads the next one', async () => {
    const r = reader({ limits: NO_BUDGETS, timeoutMs: 1000 });
    // Without the depth budget, 200,000 nested <div> keep the parser busy for many seconds.
    await expect(r.read(deepHtmlMail())).rejects.toMatchObject({ code: 'MIME_READER_FAILED', message: expect.stringMatching(/took longer than 1 s/) });
    const next = await r.read(message({ subject: 'After', text: 'hello' }));
    expect(next.mail.subject).toBe('After');
  });

  it('reads messages queued behind a failing one in order', async () => {
    const r = reader({ limits: NO_BUDGETS, maxOldGenerationSizeMb: 64 });
    const results = await Promise.allSettled([
      r.read(message({ subject: 'one', text: 'x' })),
      r.read(docxSetMail({ parts: 200 })),
      r.read(message({ subject: 'three', text: 'x' })),
    ]);
    expect(results.map((x) => (x.status === 'fulfilled' ? x.value.mail.subject : (x.reason as MimeError).code))).toEqual(['one', 'MIME_READER_FAILED', 'three']);
  });
});
