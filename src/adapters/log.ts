import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const REDACT = {
  paths: ['*.password', '*.pass', '*.IMAP_PASSWORD', '*.SMTP_PASSWORD', '*.TOKEN_SECRET', '*.DKIM_PRIVATE_KEY', '*.token', 'token'],
  censor: '[secret]',
};

/**
 * JSON lines on stdout (pino). Secrets are redacted by key wherever they
 * appear in a logged object, as a second line of defence: code never logs them.
 */
export function createLogger(level = 'info', bindings: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'coalition-desk', ...bindings }, redact: REDACT };
  return destination ? pino(options, destination) : pino(options);
}

export const silentLogger: Logger = pino({ level: 'silent' });

export type LogFormat = 'auto' | 'json' | 'pretty';

/** `auto`: pretty when the logs go to a terminal, JSON lines otherwise (a file, a pipe, a log collector). */
export function chooseLogFormat(setting: LogFormat, isTTY: boolean): 'json' | 'pretty' {
  if (setting === 'auto') return isTTY ? 'pretty' : 'json';
  return setting;
}

/** A terminal or a file descriptor the log lines go to. */
export interface LogOutput {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** What the desk needs of pino-pretty: its synchronous formatter (one JSON line in, one readable line out). */
type PrettyFactory = (options: Record<string, unknown>) => (line: string) => string;

/** pino-pretty, loaded only when it is wanted; null when it cannot be (not installed). */
async function loadPinoPretty(): Promise<unknown> {
  // A specifier in a variable: the desk still builds and runs (with JSON logs) where pino-pretty is missing.
  const name = 'pino-pretty';
  return import(name);
}

function prettyFactoryOf(mod: unknown): PrettyFactory | null {
  const m = mod as { prettyFactory?: unknown; default?: { prettyFactory?: unknown } } | null;
  const f = m?.prettyFactory ?? m?.default?.prettyFactory;
  return typeof f === 'function' ? (f as PrettyFactory) : null;
}

export interface ServiceLoggerOptions {
  level?: string;
  format?: LogFormat;
  bindings?: Record<string, unknown>;
  /** Where the lines go (default stdout; the CLI's own commands use stderr, so stdout stays their output). */
  output?: LogOutput;
  /** Says once why the logs stay JSON (default: one line on stderr). */
  warn?: (line: string) => void;
  /** For tests: what `import('pino-pretty')` gives. */
  load?: () => Promise<unknown>;
}

/**
 * The logger of a running desk or a long command: JSON lines, or (LOG_FORMAT=pretty, or `auto` on a terminal)
 * pino-pretty's readable lines: one line per event, its fields on it, the time in UTC, colours on a terminal.
 * The same redaction applies to both, since pino redacts before any formatting. pino-pretty's formatter runs
 * synchronously in this process (no worker thread, no stream in between), so the last lines before an exit
 * are written like every other. When pino-pretty cannot be loaded, the logs stay JSON, with one warning line.
 */
export async function createServiceLogger(o: ServiceLoggerOptions = {}): Promise<Logger> {
  const output: LogOutput = o.output ?? process.stdout;
  const tty = output.isTTY === true;
  const level = o.level ?? 'info';
  const bindings = o.bindings ?? {};
  const sink = (write: (line: string) => void): DestinationStream => ({ write });
  if (chooseLogFormat(o.format ?? 'auto', tty) === 'json') {
    return createLogger(level, bindings, o.output ? sink((l) => void output.write(l)) : undefined);
  }
  let factory: PrettyFactory | null = null;
  let why = 'it exports no prettyFactory';
  try {
    factory = prettyFactoryOf(await (o.load ?? loadPinoPretty)());
  } catch (err) {
    why = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' ? 'it is not installed' : (err as Error).message;
  }
  if (!factory) {
    (o.warn ?? ((l: string) => void process.stderr.write(`${l}\n`)))(
      `pino-pretty cannot be loaded (${why}): logs stay JSON lines (npm install pino-pretty, or LOG_FORMAT=json)`,
    );
    return createLogger(level, bindings, o.output ? sink((l) => void output.write(l)) : undefined);
  }
  const prettify = factory({
    colorize: tty,
    singleLine: true,
    translateTime: 'UTC:yyyy-mm-dd HH:MM:ss.l Z',
    ignore: 'pid,hostname,service',
  });
  return createLogger(level, bindings, sink((line) => void output.write(prettify(line))));
}
