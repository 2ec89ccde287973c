import { Command, CommanderError } from 'commander';
import { ConfigError } from '../../config/load.ts';
import { CliError } from './io.ts';
import { useRunningSandbox } from './running-sandbox.ts';

type Register = (program: Command) => void;

/**
 * Command groups, loaded on demand: `coalition parse` should not pay for
 * loading BullMQ, imapflow and mailauth. Help (or an unknown word) loads all.
 */
const GROUPS: { commands: string[]; load: () => Promise<Register> }[] = [
  { commands: ['start'], load: async () => (await import('./commands/start.ts')).registerStart },
  { commands: ['sandbox'], load: async () => (await import('./commands/sandbox.ts')).registerSandbox },
  { commands: ['doctor'], load: async () => (await import('./commands/doctor.ts')).registerDoctor },
  { commands: ['parse'], load: async () => (await import('./commands/parse.ts')).registerParse },
  { commands: ['backfill', 'quarantine'], load: async () => (await import('./commands/mailbox.ts')).registerMailbox },
  {
    commands: ['statement', 'signatories', 'export', 'import'],
    load: async () => (await import('./commands/statement.ts')).registerStatement,
  },
  {
    commands: ['requests', 'request', 'approve', 'reject', 'open', 'close'],
    load: async () => (await import('./commands/requests.ts')).registerRequests,
  },
];

/** An example for each command's --help (commands that carry their own are left alone). */
const EXAMPLES: Record<string, string[]> = {
  doctor: ['coalition doctor', 'coalition doctor --json'],
  parse: ['coalition parse mail.eml', 'coalition parse saved/*.eml'],
  sandbox: ['coalition sandbox', 'coalition sandbox send --from ngo@example.net', 'coalition sandbox reply REQ-7F3K2 PO'],
  backfill: ['coalition backfill --since 2026-01-01 --dry-run', 'coalition backfill --since 2026-01-01'],
  quarantine: ['coalition quarantine', 'coalition quarantine --json'],
  statement: ['coalition statement', 'coalition statement --version 2 --format md'],
  signatories: ['coalition signatories', 'coalition signatories --json'],
  export: ['coalition export > backup.json'],
  import: ['coalition import backup.json'],
  requests: ['coalition requests', 'coalition requests --status unclear --json'],
  request: ['coalition request REQ-7F3K2', 'coalition request REQ-7F3K2 --raw > original.eml'],
  approve: ['coalition approve REQ-7F3K2 --by ana@example.org'],
  reject: ['coalition reject REQ-7F3K2 --reason "outside the coalition\'s scope" --share --by ana@example.org'],
  open: ['coalition open REQ-7F3K2 --by ana@example.org'],
  close: ['coalition close REQ-7F3K2 --by ana@example.org'],
};

function addExamples(cmd: Command): void {
  const examples = EXAMPLES[cmd.name()];
  if (examples && !cmd.helpInformation().includes('Example')) {
    cmd.addHelpText('after', `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  ${e}`).join('\n')}`);
  }
  cmd.commands.forEach(addExamples);
}

/**
 * The `coalition` command. Every failure ends as one line on stderr and a
 * non-zero exit code; the stack trace is shown only with --debug (or DEBUG=coalition).
 */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug') || (process.env.DEBUG?.includes('coalition') ?? false);
  argv = argv.filter((a) => a !== '--debug');
  const program = new Command('coalition')
    .description('Membership desk of the CSOs Coalition on OGP – Albania')
    .showSuggestionAfterError()
    .exitOverride()
    .option('--debug', 'show the stack trace of an error')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  try {
    const word = argv.find((a) => !a.startsWith('-'));
    const group = GROUPS.find((g) => word !== undefined && g.commands.includes(word));
    // `start` and `sandbox` run a desk of their own; every other command talks to the sandbox running here, if any.
    if (group && word !== 'start' && word !== 'sandbox' && !argv.includes('--help') && !argv.includes('-h')) useRunningSandbox();
    for (const g of group ? [group] : GROUPS) (await g.load())(program);
    program.commands.forEach(addExamples);
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its one line (or the help text).
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    if (debug) console.error(err);
    process.stderr.write(`coalition: ${oneLine(err)}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

function oneLine(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  if (err instanceof Error) return err.message.replace(/\s*\n\s*/g, ' ');
  return String(err);
}
