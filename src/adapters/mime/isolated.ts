import { Worker } from 'node:worker_threads';
import type { MailInput } from '../../domain/mail.ts';
import type { ReadLimits } from './budget.ts';
import { MimeError, type MimeErrorCode } from './errors.ts';
import type { ReadResult } from './parse-raw.ts';
import type { ReadReply, ReadRequest } from './reader-thread.ts';

/**
 * parseRaw in a worker thread with a heap limit and a time limit, so no
 * message can take the desk's memory or stall its event loop (issue 12: one
 * 750 KB mail drove the desk to 4.3 GB and killed it; deep HTML held the event
 * loop for minutes, so the watcher lost its Redis lock and BullMQ its job
 * locks). A thread that runs out of memory, takes too long or dies is replaced,
 * and the message it was reading fails with MimeError MIME_READER_FAILED:
 * callers quarantine it like any unreadable message.
 *
 * One thread reads one message at a time, so a failure is always that
 * message's; the others wait their turn. The thread does not keep the process
 * alive while idle.
 */
export interface IsolatedReaderOptions {
  /** V8 old-generation heap of the reader thread, MB. */
  maxOldGenerationSizeMb?: number;
  maxYoungGenerationSizeMb?: number;
  /** How long reading one message may take, ms. */
  timeoutMs?: number;
  /** Extra time a newly started thread has to load the reader, ms. */
  startupMs?: number;
  /** Budgets of each reading (budget.ts DEFAULT_LIMITS when absent). */
  limits?: Partial<ReadLimits>;
}

export const DEFAULT_ISOLATION = Object.freeze({
  maxOldGenerationSizeMb: 128,
  maxYoungGenerationSizeMb: 16,
  timeoutMs: 30_000,
  startupMs: 30_000,
});

const ENTRY = new URL('./reader-thread.js', import.meta.url);

interface Job {
  id: number;
  raw: Uint8Array;
  resolve(r: ReadResult): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

export class IsolatedReader {
  private readonly o: Required<Omit<IsolatedReaderOptions, 'limits'>> & { limits?: Partial<ReadLimits> };
  private worker: Worker | null = null;
  /** False until the thread has loaded the reader: the job's clock starts then. */
  private ready = false;
  private readonly waiting: Job[] = [];
  private current: Job | null = null;
  private seq = 0;
  private closed = false;
  /** Threads replaced after a failure, for logs and tests. */
  replaced = 0;

  constructor(o: IsolatedReaderOptions = {}) {
    this.o = { ...DEFAULT_ISOLATION, ...o };
  }

  /** Reads one message in the reader thread: parseRaw's contract, plus MIME_READER_FAILED. */
  read(raw: Buffer | string): Promise<ReadResult> {
    if (this.closed) return Promise.reject(new MimeError('reader failed: the reader is closed', { code: 'MIME_READER_FAILED' }));
    // A copy: the caller keeps its Buffer (the watcher spools it after reading).
    const bytes = typeof raw === 'string' ? new Uint8Array(Buffer.from(raw, 'utf8')) : new Uint8Array(raw);
    return new Promise<ReadResult>((resolve, reject) => {
      this.waiting.push({ id: ++this.seq, raw: bytes, resolve, reject });
      this.next();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(new MimeError('reader failed: the reader was closed', { code: 'MIME_READER_FAILED' }));
    const w = this.worker;
    this.worker = null;
    if (this.current) this.settle(this.current, new MimeError('reader failed: the reader was closed', { code: 'MIME_READER_FAILED' }));
    if (w) await w.terminate();
  }

  private next(): void {
    if (this.current || this.closed) return;
    const job = this.waiting.shift();
    if (!job) {
      this.worker?.unref();
      return;
    }
    this.current = job;
    const w = this.worker ?? this.spawn();
    w.ref();
    if (this.ready) this.startClock(w, job);
    else job.timer = setTimeout(() => this.fail(w, job, `the reader thread did not start within ${Math.round(this.o.startupMs / 1000)} s`), this.o.startupMs);
    const req: ReadRequest = { id: job.id, raw: job.raw, ...(this.o.limits ? { limits: this.o.limits } : {}) };
    // The thread's port queues this until the reader has loaded.
    w.postMessage(req, [job.raw.buffer as ArrayBuffer]);
  }

  private startClock(w: Worker, job: Job): void {
    clearTimeout(job.timer);
    job.timer = setTimeout(() => this.fail(w, job, `reading took longer than ${Math.round(this.o.timeoutMs / 1000)} s`), this.o.timeoutMs);
  }

  private spawn(): Worker {
    const w = new Worker(ENTRY, {
      resourceLimits: { maxOldGenerationSizeMb: this.o.maxOldGenerationSizeMb, maxYoungGenerationSizeMb: this.o.maxYoungGenerationSizeMb },
      // The thread needs none of the desk's command line (tsx is registered by reader-thread.js).
      execArgv: [],
      stdin: false,
    });
    this.worker = w;
    this.ready = false;
    w.on('message', (m: ReadReply | { ready: true }) => {
      if (!('id' in m)) {
        if (this.worker !== w) return;
        this.ready = true;
        if (this.current) this.startClock(w, this.current);
        return;
      }
      const job = this.current;
      if (!job || job.id !== m.id || this.worker !== w) return;
      if (m.ok) this.settle(job, null, m.result);
      else this.settle(job, m.mime ? new MimeError(m.message, { code: m.code as MimeErrorCode }) : new Error(m.message));
      this.next();
    });
    w.on('error', (err: Error & { code?: string }) => {
      const what = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `it ran out of memory (${this.o.maxOldGenerationSizeMb} MB)` : `it failed: ${err.message}`;
      this.fail(w, this.current, what);
    });
    w.on('exit', (code) => this.fail(w, this.current, `it stopped (exit code ${code})`));
    return w;
  }

  /** The thread `w` failed while reading `job`: the job fails, the thread is replaced for the next one. */
  private fail(w: Worker, job: Job | null, why: string): void {
    if (this.worker !== w) return; // an old thread's last events
    this.worker = null;
    this.replaced++;
    void w.terminate();
    if (job && this.current === job) this.settle(job, new MimeError(`reader failed: ${why}`, { code: 'MIME_READER_FAILED' }));
    this.next();
  }

  private settle(job: Job, err: Error | null, result?: ReadResult): void {
    clearTimeout(job.timer);
    if (this.current === job) this.current = null;
    if (err) job.reject(err);
    else job.resolve(result!);
  }
}

let shared: IsolatedReader | null = null;

/**
 * parseRaw(raw) in the process's shared reader thread: the same MailInput, or
 * MimeError (MIME_UNPARSEABLE, MIME_HOSTILE, or MIME_READER_FAILED when the
 * message exhausted the thread's memory or time).
 */
export async function parseRawIsolated(raw: Buffer | string): Promise<MailInput> {
  shared ??= new IsolatedReader();
  return (await shared.read(raw)).mail;
}
