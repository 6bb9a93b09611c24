import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * Bytes between a lab's stream (a TTY, a VNC server) and a browser's WebSocket, with
 * backpressure both ways: a slow browser must not make Aperture buffer a desktop's frames
 * without bound, and a flood of keystrokes must not outrun the lab.
 */

/** Bytes handed to the WebSocket but not yet written to the kernel: above this we stop reading the lab. */
export const HIGH_WATER = 1024 * 1024;
/** Queued bytes back down to this: reading resumes. */
export const LOW_WATER = 256 * 1024;

/** Sends every chunk the stream yields as a binary frame; pauses the stream while the browser lags. */
export function pipeStreamToSocket(stream: Duplex, socket: WebSocket): void {
  let queued = 0;
  stream.on('data', (chunk: Buffer) => {
    if (socket.readyState !== socket.OPEN) return;
    queued += chunk.length;
    // The callback runs once ws has written the frame out (or failed): only then is the memory free.
    socket.send(chunk, { binary: true }, () => {
      queued -= chunk.length;
      if (queued <= LOW_WATER && stream.isPaused()) stream.resume();
    });
    if (queued > HIGH_WATER) stream.pause();
  });
}

/** Writes a browser frame into the stream; stops reading the WebSocket until the stream drains. */
export function writeFrameToStream(stream: Duplex, socket: WebSocket, data: Buffer): void {
  if (stream.destroyed || stream.writableEnded) return;
  if (!stream.write(data) && !socket.isPaused) {
    socket.pause();
    stream.once('drain', () => socket.resume());
  }
}

/** A ws message payload (Buffer, ArrayBuffer or fragments) as one Buffer. */
export function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/**
 * Either side's end ends the other: the browser closing hangs up the lab stream, the lab's
 * stream ending (or failing) closes the WebSocket. `onClose` runs once.
 */
export function bindLifetimes(stream: Duplex, socket: WebSocket, onClose: () => void = () => {}): void {
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    onClose();
  };
  stream.on('error', () => closeSocket(socket, 1011, 'the lab connection failed'));
  stream.on('close', () => {
    closeSocket(socket, 1000, 'the lab connection ended');
    finish();
  });
  stream.on('end', () => closeSocket(socket, 1000, 'the lab connection ended'));
  socket.on('close', () => {
    stream.destroy();
    finish();
  });
  socket.on('error', () => stream.destroy());
}

/** Close codes: 1000 normal, 1011 server error, 1008 policy (refused). Reasons ≤ 123 bytes. */
export function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === socket.CLOSING || socket.readyState === socket.CLOSED) return;
  socket.close(code, Buffer.from(reason).subarray(0, 123).toString());
}

/** What an open session is checked against, again and again (see keepCheckingAccess). */
export interface AccessRecheck<V> {
  /** The viewer their credential names now, or undefined once it ended (logout, expiry, revoked). */
  viewer(): Promise<V | undefined>;
  /** Throws once that viewer may no longer open what the socket reaches. */
  access(viewer: V): Promise<unknown>;
}

/**
 * Every `everyMs` while the socket is open: the viewer's credential, then their access. Either
 * lost closes the socket with 1008 (policy), and so does a check that cannot be made.
 */
export function keepCheckingAccess<V>(
  socket: WebSocket,
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void },
  everyMs: number,
  recheck: AccessRecheck<V>,
): void {
  const refresh = async () => {
    const viewer = await recheck.viewer();
    if (viewer === undefined) {
      log.info({}, 'lab session ended: the viewer is signed out');
      return closeSocket(socket, 1008, 'your session ended: sign in again');
    }
    try {
      await recheck.access(viewer);
    } catch (error) {
      log.info({ err: error }, 'lab access withdrawn during a session');
      closeSocket(socket, 1008, 'access to this lab was withdrawn');
    }
  };
  const timer = setInterval(() => {
    refresh().catch((error: Error) => {
      log.warn({ err: error }, 'lab session could not be checked again');
      closeSocket(socket, 1008, 'your session could not be checked');
    });
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}
