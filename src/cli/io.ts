/** An error the CLI reports as one line with its own exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/**
 * Text from received mail (organisation names, audit details) shown on a
 * terminal: control characters are made visible, so a hostile name cannot move
 * the cursor, clear the screen or forge lines of output with escape sequences.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Writes human-readable output built from mail data (see terminalSafe). */
export function printText(text: string): void {
  process.stdout.write(terminalSafe(text));
}
