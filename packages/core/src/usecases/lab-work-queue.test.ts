import { describe, expect, it } from 'vitest';
import { LabWorkQueue } from './lab-work-queue.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

describe('LabWorkQueue', () => {
  it("runs one key's tasks one after another, other keys beside them", async () => {
    const queue = new LabWorkQueue(silent);
    const log: string[] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    void queue.run('a', async () => {
      log.push('a1 start');
      await gate;
      log.push('a1 end');
    });
    void queue.run('a', async () => {
      log.push('a2');
    });
    await queue.run('b', async () => {
      log.push('b1');
    });
    expect(queue.busy('a')).toBe(true);
    expect(queue.busy('b')).toBe(false);
    release();
    await queue.idle();
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
    expect(queue.busy('a')).toBe(false);
  });

  it('queues a deduplicated task once while it waits, again once it has started', async () => {
    const queue = new LabWorkQueue(silent);
    let runs = 0;
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    void queue.run('a', () => gate);
    const apply = () =>
      queue.run(
        'a',
        async () => {
          runs++;
        },
        'apply',
      );
    void apply();
    void apply();
    release();
    await queue.idle();
    expect(runs).toBe(1);
    await apply();
    expect(runs).toBe(2);
  });

  it('logs a failed task and goes on with the next', async () => {
    const errors: object[] = [];
    const queue = new LabWorkQueue({ ...silent, error: (obj) => errors.push(obj) });
    void queue.run('a', async () => {
      throw new Error('engine down');
    });
    let ran = false;
    await queue.run('a', async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(errors).toHaveLength(1);
  });
});
