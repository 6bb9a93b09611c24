/**
 * The LabAccess port: how Aperture reaches into one student's running lab, for the browser
 * terminal, the desktop (VNC), the HTTP proxy and "lab CI" checks. Students never get engine
 * credentials: every byte passes through Aperture, which has already decided who may see what.
 * Both backends implement it next to their LabProvisioner (Kubernetes: exec and port-forward
 * through the API server; Podman: `podman exec` and the student's own network).
 */
// Type-only: a Node Duplex is the one byte-stream shape the server, ws and both engines share.
import type { Duplex } from 'node:stream';

/** What `exec` waits when the caller names no timeout (both engines). */
export const DEFAULT_LAB_EXEC_TIMEOUT_MS = 30_000;

/** The terminal's default command: bash as a login shell where the image has it, else sh. */
export const LAB_LOGIN_SHELL: readonly string[] = Object.freeze([
  'sh',
  '-c',
  'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi',
]);

/** One component of one student's copy in one deployment. */
export interface LabTarget {
  deploymentId: string;
  studentId: string;
  /** A component name of the template (`web`, `shell`). */
  component: string;
}

export interface LabExecOptions {
  /** Kill the command after this long (default 30 s); the result then says `timedOut`. */
  timeoutMs?: number;
}

export interface LabExecResult {
  /** The command's exit code; null when it was killed or the connection broke. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface LabTerminalSize {
  cols: number;
  rows: number;
}

export interface LabTerminalOptions {
  /** Default: the component's login shell (`bash -l`, else `sh`). */
  command?: readonly string[];
  size: LabTerminalSize;
}

export interface LabTerminal {
  /** A TTY both ways: what is written is typed; what is read is the screen's bytes. */
  stream: Duplex;
  resize(size: LabTerminalSize): void;
  /** Resolves when the shell ends: its exit code, or null when it was killed or cut off. */
  exited: Promise<number | null>;
  /** Ends the session (the shell gets a hang-up); idempotent. */
  close(): void;
}

export interface LabAccess {
  /**
   * Runs a command (no TTY, no stdin) in the component's container. A target that does not exist
   * or is not running is a NotFoundError / UnavailableError naming it, never a hang.
   */
  exec(target: LabTarget, command: readonly string[], options?: LabExecOptions): Promise<LabExecResult>;
  /** An interactive shell with a TTY in the component's container. */
  openTerminal(target: LabTarget, options: LabTerminalOptions): Promise<LabTerminal>;
  /**
   * A TCP connection to `port` of the component, from Aperture's side of the student's network
   * (the HTTP proxy, the VNC relay, `http`/`tcp` checks). Rejects when nothing listens there.
   */
  connect(target: LabTarget, port: number): Promise<Duplex>;
}
