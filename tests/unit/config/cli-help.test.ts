import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';

/** Every command's --help ends with an example a person can copy. */
const COMMANDS = ['start', 'doctor', 'parse', 'backfill', 'quarantine', 'statement', 'signatories', 'export', 'import', 'requests', 'request', 'approve', 'reject', 'open', 'close', 'sandbox'];

async function help(cmd: string): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    expect(await main([cmd, '--help'])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('coalition COMMAND --help', () => {
  it.each(COMMANDS)('%s shows an example', async (cmd) => {
    expect(await help(cmd)).toMatch(new RegExp(`Examples?:\\n\\s+coalition ${cmd}`));
  });
});
