import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Backpressure, exitCodeOf } from './kubernetes-lab-access.ts';
import { labPermissionOf } from './lab-permissions.ts';

describe('exitCodeOf (the exec status channel)', () => {
  it('Success is 0; NonZeroExitCode carries the code; a command that never ran is null', () => {
    expect(exitCodeOf({ status: 'Success' })).toBe(0);
    expect(
      exitCodeOf({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      }),
    ).toBe(3);
    expect(
      exitCodeOf({ status: 'Failure', message: 'exec: "nope": executable file not found in $PATH' }),
    ).toBeNull();
  });
});

describe('labPermissionOf with subresources', () => {
  it('finds pods/exec and pods/portforward apart from pods', () => {
    expect(labPermissionOf('create', 'pods/exec')?.subresource).toBe('exec');
    expect(labPermissionOf('create', 'pods/portforward')?.subresource).toBe('portforward');
    expect(labPermissionOf('list', 'pods')?.subresource).toBeUndefined();
    expect(labPermissionOf('create', 'pods')).toBeUndefined();
  });
});

describe('Backpressure (the WebSocket paused while the reader is behind)', () => {
  const socket = () => {
    const calls: string[] = [];
    return { calls, pause: () => calls.push('pause'), resume: () => calls.push('resume') };
  };

  it('pauses once when full, resumes once when read; a socket attached later starts paused', () => {
    const ws = socket();
    const flow = new Backpressure(ws);
    flow.resume();
    flow.pause();
    flow.pause();
    flow.resume();
    flow.resume();
    expect(ws.calls).toEqual(['pause', 'resume']);
    const late = socket();
    const early = new Backpressure();
    early.pause();
    early.attach(late);
    expect(late.calls).toEqual(['pause']);
  });

  it('released: resumed for good (the close handshake must be read)', () => {
    const ws = socket();
    const flow = new Backpressure(ws);
    flow.pause();
    flow.release();
    flow.pause();
    expect(ws.calls).toEqual(['pause', 'resume']);
  });

  it('a Duplex fed faster than it is read stops the socket at its highWaterMark', async () => {
    const ws = socket();
    const flow = new Backpressure(ws);
    const stream = new Duplex({
      readableHighWaterMark: 1024,
      read() {
        flow.resume();
      },
      write(_chunk, _encoding, callback) {
        callback();
      },
    });
    const feed = (n: number) => {
      for (let i = 0; i < n; i++) if (!stream.push(Buffer.alloc(512))) flow.pause();
    };
    feed(4);
    expect(ws.calls).toEqual(['pause']);
    expect(stream.readableLength).toBe(2048);
    stream.read();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ws.calls).toEqual(['pause', 'resume']);
  });
});

describe('Backpressure.whenSent (writes to the lab wait for the send queue)', () => {
  it('calls back at once under 1 MiB queued; otherwise once it drained or the socket closed', async () => {
    const ws = { pause() {}, resume() {}, bufferedAmount: 0, readyState: 1 };
    const flow = new Backpressure(ws);
    let calls = 0;
    flow.whenSent(() => calls++);
    expect(calls).toBe(1);
    ws.bufferedAmount = 2 * 1024 * 1024;
    flow.whenSent(() => calls++);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(1);
    ws.bufferedAmount = 1000;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(2);
    ws.bufferedAmount = 2 * 1024 * 1024;
    flow.whenSent(() => calls++);
    ws.readyState = 3;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(3);
  });
});
