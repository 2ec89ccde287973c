import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSO, startStack, type Stack } from '../../harness/stack.ts';
import { inbox } from '../flow/desk.ts';

/** A helper that turned a failure into "nothing arrived" would make every such assertion pass. */
describe("the tests' own view of a mailbox", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is empty for a mailbox that does not exist yet', async () => {
    expect(await inbox(stack, 'nobody-yet@cso.example.net')).toEqual([]);
  });

  it('fails when the mailbox cannot be read, instead of reporting it empty', async () => {
    await stack.dovecot.halt();
    try {
      await expect(inbox(stack, CSO)).rejects.toThrow();
    } finally {
      await stack.dovecot.resume();
    }
    expect(await inbox(stack, CSO)).toEqual([]);
  });
});
