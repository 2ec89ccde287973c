import { Command, CommanderError } from 'commander';
import { ConfigError } from '../../config/load.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerStart } from './commands/start.ts';
import { registerParse } from './commands/parse.ts';
import { registerMailbox } from './commands/mailbox.ts';
import { registerStatement } from './commands/statement.ts';
import { registerRequests } from './commands/requests.ts';
import { CliError } from './io.ts';

/**
 * The `coalition` command. Every failure ends as one line on stderr and a
 * non-zero exit code; stack traces are only shown with DEBUG=coalition.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('coalition')
    .description('Membership desk of the CSOs Coalition on OGP – Albania')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  registerStart(program);
  registerDoctor(program);
  registerParse(program);
  registerMailbox(program);
  registerStatement(program);
  registerRequests(program);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its one line (or the help text).
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    if (process.env.DEBUG?.includes('coalition')) console.error(err);
    process.stderr.write(`coalition: ${oneLine(err)}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

function oneLine(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  if (err instanceof Error) return err.message.replace(/\s*\n\s*/g, ' ');
  return String(err);
}
