import { parentPort } from 'node:worker_threads';
import type { ReadLimits } from './budget.ts';
import { MimeError } from './errors.ts';
import { readRaw } from './parse-raw.ts';

/**
 * The body of the reader thread: one message at a time, readRaw and nothing
 * else, so a message that exhausts memory or time takes only this thread
 * down (isolated.ts replaces it). Started through reader-thread.js.
 */
export interface ReadRequest {
  id: number;
  raw: Uint8Array;
  limits?: Partial<ReadLimits>;
}

export type ReadReply =
  | { id: number; ok: true; result: Awaited<ReturnType<typeof readRaw>> }
  | { id: number; ok: false; mime: boolean; code: string; message: string };

const port = parentPort;
if (!port) throw new Error('reader-thread.ts runs only as a worker thread (see isolated.ts)');

port.on('message', (req: ReadRequest) => {
  const raw = Buffer.from(req.raw.buffer, req.raw.byteOffset, req.raw.byteLength);
  readRaw(raw, req.limits).then(
    (result) => port.postMessage({ id: req.id, ok: true, result } satisfies ReadReply),
    (err: unknown) => {
      const mime = err instanceof MimeError;
      const reply: ReadReply = { id: req.id, ok: false, mime, code: mime ? err.code : 'ERROR', message: err instanceof Error ? err.message : String(err) };
      port.postMessage(reply);
    },
  );
});
port.postMessage({ ready: true });
