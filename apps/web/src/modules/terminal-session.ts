/**
 * The browser side of the terminal protocol: binary frames are TTY bytes both ways; the browser
 * sends `{ "type": "resize", cols, rows }` as text; the server ends with `{ "type": "exit", code }`
 * (or `{ "type": "error", message }` when the shell could not be opened) and closes.
 */

/** The part of a WebSocket this needs (tests pass a fake). */
export interface SocketLike {
  binaryType: BinaryType;
  readyState: number;
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
}

export type TerminalStatus =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'exited'; code: number | null }
  | { kind: 'failed'; message: string }
  | { kind: 'closed'; code: number; reason: string };

export interface TerminalHandlers {
  /** Screen bytes to write into xterm. */
  output(bytes: Uint8Array): void;
  status(status: TerminalStatus): void;
}

const OPEN = 1;
export const INPUT_FRAME_BYTES = 64 * 1024;

export class TerminalSession {
  private ended = false;
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly socket: SocketLike,
    handlers: TerminalHandlers,
  ) {
    socket.binaryType = 'arraybuffer';
    handlers.status({ kind: 'connecting' });
    socket.onopen = () => handlers.status({ kind: 'open' });
    socket.onmessage = (event) => {
      if (typeof event.data !== 'string') return handlers.output(new Uint8Array(event.data as ArrayBuffer));
      const frame = parseServerFrame(event.data);
      if (frame?.type === 'exit') {
        this.ended = true;
        handlers.status({ kind: 'exited', code: frame.code });
      } else if (frame?.type === 'error') {
        this.ended = true;
        handlers.status({ kind: 'failed', message: frame.message });
      }
    };
    socket.onclose = (event) => {
      // After an exit or error frame the close is expected; say nothing more.
      if (this.ended) return;
      this.ended = true;
      handlers.status(
        event.code === 1006
          ? {
              kind: 'failed',
              message: 'The connection was refused or lost (are you signed in, and is the lab running?).',
            }
          : { kind: 'closed', code: event.code, reason: event.reason },
      );
    };
  }

  /**
   * What the user typed (xterm's onData), as bytes: the server reads binary frames only as input.
   * A big paste goes in pieces: the server refuses frames over 1 MiB.
   */
  type(text: string): void {
    if (this.socket.readyState !== OPEN) return;
    const bytes = this.encoder.encode(text);
    for (let at = 0; at < bytes.length; at += INPUT_FRAME_BYTES)
      this.socket.send(bytes.subarray(at, at + INPUT_FRAME_BYTES));
  }

  resize(cols: number, rows: number): void {
    if (this.socket.readyState === OPEN && cols > 0 && rows > 0)
      this.socket.send(JSON.stringify({ type: 'resize', cols, rows }));
  }

  close(): void {
    this.ended = true;
    this.socket.close(1000, 'closed by the user');
  }
}

type ServerFrame = { type: 'exit'; code: number | null } | { type: 'error'; message: string };

export function parseServerFrame(text: string): ServerFrame | undefined {
  try {
    const frame = JSON.parse(text) as { type?: unknown; code?: unknown; message?: unknown };
    if (frame.type === 'exit')
      return { type: 'exit', code: typeof frame.code === 'number' ? frame.code : null };
    if (frame.type === 'error') return { type: 'error', message: String(frame.message ?? 'unknown error') };
  } catch {
    // Not JSON: not a control frame.
  }
  return undefined;
}
