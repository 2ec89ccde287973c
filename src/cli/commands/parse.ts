import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type * as Mime from '../../adapters/mime/index.ts';
import type * as Understanding from '../../domain/understand/index.ts';
import { printJsonLine } from '../io.ts';

// Loaded when the command runs, so other commands do not pay for mailparser.
interface Readers {
  mime: typeof Mime;
  understanding: typeof Understanding;
}
async function loadReaders(): Promise<Readers> {
  const [mime, understanding] = await Promise.all([import('../../adapters/mime/index.ts'), import('../../domain/understand/index.ts')]);
  return { mime, understanding };
}

interface ParseOptions {
  coalitionAddress?: string;
  coordinator?: string[];
}

/**
 * `coalition parse FILE.eml...`: what the desk reads in each message, one JSON
 * object per file and line. Needs no configuration and no server, so it is the
 * tool to check a message by hand or to replay a quarantined one.
 */
export function registerParse(program: Command): void {
  program
    .command('parse')
    .description('read .eml files and print, one JSON line per file, what the desk understands of each')
    .argument('<files...>', 'raw RFC 5322 messages (.eml)')
    .option('--coalition-address <address>', "the coalition's own mailbox (default: the message's Delivered-To)")
    .option('--coordinator <address...>', 'coordinator addresses, never taken as the requester')
    .addHelpText(
      'after',
      [
        '',
        'Each line: {"file","kind","language","organization","contact","missing","automatic","forwarded","possible","possibleReason","confidence","attachments","subject","messageId"}.',
        'A file that is missing or is not a readable message gives {"file","kind":"other","error"} and the next file is read.',
        '',
        'Exit status: 0 when every file was read, 1 when any file could not be read.',
      ].join('\n'),
    )
    .action(async (files: string[], opts: ParseOptions) => {
      let failed = false;
      const readers = await loadReaders();
      for (const file of files) {
        const line = await parseOne(file, opts, readers);
        if ('error' in line) failed = true;
        printJsonLine(line);
      }
      if (failed) process.exitCode = 1;
    });
}

async function parseOne(file: string, opts: ParseOptions, { mime, understanding }: Readers): Promise<Record<string, unknown>> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : `cannot read: ${(err as Error).message}`;
    return { file, kind: 'other', error: reason };
  }
  try {
    const mail = await mime.parseRaw(raw);
    const reading = understanding.understand(mail, { coalitionAddress: opts.coalitionAddress, knownCoordinators: opts.coordinator });
    return {
      file,
      kind: reading.kind,
      language: reading.language,
      organization: reading.organization,
      contact: reading.contact,
      missing: reading.missing,
      automatic: reading.automatic,
      forwarded: reading.forwarded,
      possible: reading.possible,
      possibleReason: reading.possibleReason,
      confidence: reading.confidence,
      attachments: reading.attachments,
      subject: mail.subject,
      messageId: mail.messageId,
    };
  } catch (err) {
    if (err instanceof mime.MimeError) return { file, kind: 'other', error: `${err.code}: ${err.message}` };
    return { file, kind: 'other', error: `could not be understood: ${err instanceof Error ? err.message : String(err)}` };
  }
}
