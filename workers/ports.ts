import type { Config } from '../config/schema.ts';
import { verifyDkim, type DNSResolver } from '../src/adapters/auth/dkim.ts';
import { rawHeaderValues } from '../src/adapters/auth/headers.ts';
import { htmlToPlainText, MimeError, parseRawIsolated } from '../src/adapters/mime/index.ts';
import { UnreadableMail, type MailReader, type SenderAuthenticity } from '../src/app/ports.ts';
import { Processor as ProcessorUseCase, type ProcessorDeps } from '../src/app/processor.ts';
import { createTriage as triageUseCase, type Triage } from '../src/app/triage.ts';

/**
 * The adapters that fit the use cases' ports (src/app/ports.ts): the one place
 * where the MIME reader and the DKIM check meet src/app.
 */

/** The MIME adapter (in its isolated reader thread) as the use cases' MailReader. */
export const mimeMailReader: MailReader = {
  async read(raw) {
    try {
      return { ok: true, mail: await parseRawIsolated(raw) };
    } catch (err) {
      if (err instanceof MimeError) return { ok: false, reason: err.message };
      throw err;
    }
  },
  htmlText(html) {
    try {
      return htmlToPlainText(html);
    } catch (err) {
      if (err instanceof MimeError) throw new UnreadableMail(err.message, { cause: err });
      throw err;
    }
  },
};

/** mailauth's DKIM check (keys from `resolver`, or the system DNS) and the raw header reader. */
export function senderAuthenticity(resolver?: DNSResolver): SenderAuthenticity {
  return {
    verifyDkim: (raw) => verifyDkim(raw, resolver),
    authenticationResults: (raw) => rawHeaderValues(raw, 'authentication-results'),
  };
}

/** The watcher's triage, reading with the MIME adapter. */
export function createTriage(config: Pick<Config, 'COALITION_ADDRESS' | 'COORDINATORS' | 'UNRELATED_MAIL'>): Triage {
  return triageUseCase(config, mimeMailReader);
}

export type WiredProcessorDeps = Omit<ProcessorDeps, 'reader' | 'authenticity'> &
  Partial<Pick<ProcessorDeps, 'reader' | 'authenticity'>> & { resolver?: DNSResolver | undefined };

/** The processor use case with the MIME reader and the DKIM check, unless given others. */
export class Processor extends ProcessorUseCase {
  constructor(d: WiredProcessorDeps) {
    const { resolver, ...rest } = d;
    super({
      ...rest,
      reader: d.reader ?? mimeMailReader,
      authenticity: d.authenticity ?? senderAuthenticity(resolver),
    });
  }
}
