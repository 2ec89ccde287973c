/**
 * Progress of a long command (`coalition import`, `coalition backfill`) on stderr, never on stdout, so
 * `--json` output and pipes stay clean:
 *  - on a terminal, one line redrawn in place ("imported 1,200 / 4,000 requests"), at most every
 *    `redrawMs` (a few times a second), and left on screen with a newline at the end;
 *  - otherwise (a log file, CI), a plain line every `every` items (default: a tenth of the total) or
 *    every `intervalMs`, whichever comes first, and the final count at the end.
 */

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  /** The line for `done` of `total`, both already written with thousands separators. */
  line: (done: string, total: string) => string;
  stream?: ProgressStream;
  every?: number;
  intervalMs?: number;
  redrawMs?: number;
  now?: () => number;
}

export interface Progress {
  update(done: number, total: number): void;
  /** Writes other output (a row on stdout, to the same terminal) without tearing the progress line. */
  above(write: () => void): void;
  /** The last count, shown for good (once: a second call does nothing); nothing when there was nothing to count. */
  end(): void;
}

const count = (n: number): string => n.toLocaleString('en-US');

export function progress(o: ProgressOptions): Progress {
  const stream = o.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const now = o.now ?? Date.now;
  const redrawMs = o.redrawMs ?? 250;
  const intervalMs = o.intervalMs ?? 5_000;
  let done = 0;
  let total = 0;
  let shown = -1;
  // A terminal shows the first count at once; a log gets its first line after `every` items or `intervalMs`.
  let shownAt = tty ? -Infinity : now();
  let drawn = false;
  let ended = false;
  const text = () => o.line(count(done), count(total));
  const every = () => o.every ?? Math.max(1, Math.ceil(total / 10));

  const show = (): void => {
    if (tty) {
      // \r and "erase to the end of the line": a shorter line leaves nothing of the longer one behind.
      stream.write(`\r${text()}\x1b[K`);
      drawn = true;
    } else {
      stream.write(`${text()}\n`);
    }
    shown = done;
    shownAt = now();
  };

  return {
    update(d, t) {
      done = d;
      total = t;
      if (total <= 0 || done === shown) return;
      const elapsed = now() - shownAt;
      if (tty) {
        if (elapsed >= redrawMs) show();
      } else if (done > 0 && (done - Math.max(shown, 0) >= every() || elapsed >= intervalMs)) {
        show();
      }
    },
    above(write) {
      if (!tty || !drawn) return write();
      stream.write('\r\x1b[K');
      write();
      stream.write(`${text()}\x1b[K`);
    },
    end() {
      if (ended || total <= 0) return;
      ended = true;
      if (done !== shown) show();
      if (tty && drawn) stream.write('\n');
    },
  };
}
