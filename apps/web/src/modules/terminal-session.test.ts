import { describe, expect, it } from 'vitest';
import {
  INPUT_FRAME_BYTES,
  parseServerFrame,
  type SocketLike,
  TerminalSession,
  type TerminalStatus,
} from './terminal-session.ts';

/** A WebSocket stand-in that records what is sent and lets the test play the server. */
function fakeSocket() {
  const sent: Array<string | Uint8Array> = [];
  const socket: SocketLike & { sent: typeof sent } = {
    sent,
    binaryType: 'blob',
    readyState: 0,
    send: (data) => sent.push(typeof data === 'string' ? data : new Uint8Array(data as ArrayBuffer)),
    close: () => undefined,
    onopen: null,
    onmessage: null,
    onclose: null,
  };
  return socket;
}

function start() {
  const socket = fakeSocket();
  const output: string[] = [];
  const statuses: TerminalStatus[] = [];
  const session = new TerminalSession(socket, {
    output: (bytes) => output.push(new TextDecoder().decode(bytes)),
    status: (s) => statuses.push(s),
  });
  const open = () => {
    socket.readyState = 1;
    socket.onopen?.(new Event('open'));
  };
  const message = (data: string | ArrayBuffer) => socket.onmessage?.({ data } as MessageEvent);
  const close = (code: number, reason = '') => socket.onclose?.({ code, reason } as CloseEvent);
  return { socket, session, output, statuses, open, message, close };
}

describe('TerminalSession', () => {
  it('sends typing as binary frames and sizes as resize text frames, only once open', () => {
    const t = start();
    t.session.type('early');
    expect(t.socket.sent).toEqual([]);
    t.open();
    t.session.type('é\r');
    t.session.resize(120, 40);
    t.session.resize(0, 40);
    expect(t.socket.binaryType).toBe('arraybuffer');
    expect(t.socket.sent[0]).toEqual(new TextEncoder().encode('é\r'));
    expect(t.socket.sent[1]).toBe('{"type":"resize","cols":120,"rows":40}');
    expect(t.socket.sent).toHaveLength(2);
  });

  it('writes binary frames to the screen and ends on the exit frame without a second status', () => {
    const t = start();
    t.open();
    t.message(new TextEncoder().encode('hello-42\r\n').buffer as ArrayBuffer);
    t.message('{"type":"exit","code":3}');
    t.close(1000, 'the shell ended');
    expect(t.output).toEqual(['hello-42\r\n']);
    expect(t.statuses.map((s) => s.kind)).toEqual(['connecting', 'open', 'exited']);
    expect(t.statuses[2]).toEqual({ kind: 'exited', code: 3 });
  });

  it('reports a refused upgrade (1006) as a failure and a server error frame with its message', () => {
    const refused = start();
    refused.close(1006);
    expect(refused.statuses.at(-1)?.kind).toBe('failed');
    const broken = start();
    broken.open();
    broken.message('{"type":"error","message":"no such container"}');
    broken.close(1011);
    expect(broken.statuses.at(-1)).toEqual({ kind: 'failed', message: 'no such container' });
  });

  it('sends a big paste in frames the server accepts', () => {
    const t = start();
    t.open();
    t.session.type('x'.repeat(INPUT_FRAME_BYTES * 2 + 5));
    expect(t.socket.sent.map((frame) => (frame as Uint8Array).length)).toEqual([
      INPUT_FRAME_BYTES,
      INPUT_FRAME_BYTES,
      5,
    ]);
  });

  it('ignores text that is not a control frame', () => {
    expect(parseServerFrame('plain')).toBeUndefined();
    expect(parseServerFrame('{"type":"other"}')).toBeUndefined();
    expect(parseServerFrame('{"type":"exit"}')).toEqual({ type: 'exit', code: null });
  });
});
