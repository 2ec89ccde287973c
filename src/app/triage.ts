import type { Config } from '../../config/schema.ts';
import { MimeError, parseRawIsolated } from '../adapters/mime/index.ts';
import { decideDisposition, type Disposition } from '../domain/disposition.ts';
import { understand } from '../domain/understand/index.ts';

export interface TriageResult {
  disposition: Disposition;
  reason: string;
  messageId: string | null;
}

export type Triage = (raw: Buffer) => Promise<TriageResult>;

/**
 * The watcher's quick reading of a message, to file it in the folder that
 * says what became of it. The processor reads it again in full; this only
 * decides the folder, and never throws: unreadable mail is quarantined.
 */
export function createTriage(config: Pick<Config, 'COALITION_ADDRESS' | 'COORDINATORS' | 'OTHER_MAIL'>): Triage {
  const ctx = { coalitionAddress: config.COALITION_ADDRESS, coordinators: config.COORDINATORS, otherMail: config.OTHER_MAIL };
  return async (raw) => {
    let mail;
    try {
      mail = await parseRawIsolated(raw);
    } catch (err) {
      const reason = err instanceof MimeError ? `unreadable: ${err.message}` : `unreadable: ${(err as Error).message}`;
      return { disposition: 'quarantine', reason, messageId: null };
    }
    try {
      const reading = understand(mail, { coalitionAddress: config.COALITION_ADDRESS, knownCoordinators: config.COORDINATORS });
      return { ...decideDisposition(mail, reading.kind, ctx), messageId: mail.messageId };
    } catch (err) {
      return { disposition: 'quarantine', reason: `could not be understood: ${(err as Error).message}`, messageId: mail.messageId };
    }
  };
}
