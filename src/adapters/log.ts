import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout (pino). Secrets are redacted by key wherever they
 * appear in a logged object, as a second line of defence: code never logs them.
 */
export function createLogger(level = 'info', bindings: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'coalition-desk', ...bindings },
    redact: {
      paths: ['*.password', '*.pass', '*.IMAP_PASSWORD', '*.SMTP_PASSWORD', '*.TOKEN_SECRET', '*.DKIM_PRIVATE_KEY', '*.token', 'token'],
      censor: '[secret]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

export const silentLogger: Logger = pino({ level: 'silent' });
