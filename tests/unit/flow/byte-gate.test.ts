import { describe, expect, it } from 'vitest';
import { ByteGate } from '../../../src/app/byte-gate.ts';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('ByteGate', () => {
  it('lets small messages run together and a large one alone, never more bytes than the budget at once', async () => {
    const gate = new ByteGate(30);
    let peakBytes = 0;
    let peakTasks = 0;
    const order: string[] = [];
    const task = (name: string, bytes: number) =>
      gate.run(bytes, async () => {
        peakBytes = Math.max(peakBytes, gate.load.bytes);
        if (bytes > 30) expect(gate.load.tasks).toBe(1);
        peakTasks = Math.max(peakTasks, gate.load.tasks);
        order.push(name);
        await tick();
        await tick();
      });
    await Promise.all([task('a', 10), task('b', 10), task('c', 10), task('big', 50), task('d', 10), task('e', 25)]);
    expect(peakTasks).toBe(3);
    expect(peakBytes).toBeLessThanOrEqual(50);
    // In order: the large one waits for the three before it, and nothing overtakes it.
    expect(order).toEqual(['a', 'b', 'c', 'big', 'd', 'e']);
    expect(gate.load).toEqual({ bytes: 0, tasks: 0 });
  });

  it('frees its bytes when a task fails', async () => {
    const gate = new ByteGate(10);
    await expect(gate.run(10, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(gate.load).toEqual({ bytes: 0, tasks: 0 });
    expect(await gate.run(10, async () => 'next')).toBe('next');
  });
});
