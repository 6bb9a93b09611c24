/**
 * LabAccess on Kubernetes: exec, terminal and port-forward through the API server's WebSocket
 * endpoints (client-node Exec and PortForward), so Aperture needs no route to pod IPs and the
 * student no credentials. The pod is found by the student's namespace (names.ts) and the
 * component's label, with one list request; a copy that is missing or not running is a typed
 * error naming it, never a socket that hangs.
 */
import { connect as tcpConnect } from 'node:net';
import { Duplex, PassThrough, Writable } from 'node:stream';
import {
  DEFAULT_LAB_EXEC_TIMEOUT_MS,
  LAB_LOGIN_SHELL,
  type LabExecOptions,
  type LabExecResult,
  type LabTarget,
  type LabTerminal,
  type LabTerminalOptions,
  type LabTerminalSize,
  NotFoundError,
  UnavailableError,
} from '@aperture/core';
import {
  AuthorizationV1Api,
  Exec,
  type KubeConfig,
  PortForward,
  type V1Pod,
  type V1Status,
} from '@kubernetes/client-node';
import { KubernetesPermissionError } from '../api-errors.ts';
import type { ApiRequestCounter } from '../api-request-counter.ts';
import { accessAttributes } from '../doctor/facts.ts';
import type { LabKubernetesApi } from './lab-api.ts';
import { LABEL_LAB_COMPONENT, labDeploymentSelector } from './lab-labels.ts';
import { LAB_POD, labPermissionOf } from './lab-permissions.ts';
import { labNamespaceName } from './names.ts';

/** What a check's command may print; beyond it the output is cut (a lab is not a log store). */
const MAX_OUTPUT_BYTES = 1024 * 1024;
/**
 * The kubelet dials the port only once the WebSocket is up and reports a refusal on the error
 * channel; this long without one (and no data) counts as connected.
 */
const CONNECT_SETTLE_MS = 300;
/** What may wait in the WebSocket's send queue before a write to the lab waits for it to drain. */
const SEND_HIGH_WATER = 1024 * 1024;
/** How often a waiting write looks at the send queue again. */
const SEND_POLL_MS = 10;
/** An API server that takes the connection and never answers the upgrade must not hang a caller. */
const UPGRADE_TIMEOUT_MS = 30_000;

interface WebSocketLike {
  close(): void;
  /** ws: stops reading the socket (TCP then pushes back to the API server); resume() starts again. */
  pause(): void;
  resume(): void;
  /** Bytes ws.send() has queued and the socket not yet written. */
  readonly bufferedAmount: number;
  readonly readyState: number;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface LabPodLocator {
  namespacePrefix: string;
  instance: string;
  /**
   * How connect() reaches a port: `port-forward` (default) through the API server, which works
   * from anywhere; `direct` to the pod's IP, for an Aperture that runs in the cluster on pods the
   * labs' NetworkPolicy lets in (its `proxy` peer) — no API request and no kubelet stream per
   * connection. A direct dial that gets no answer in DIRECT_CONNECT_TIMEOUT_MS (a policy dropping
   * it) falls back to port-forward.
   */
  podNetwork?: 'direct' | 'port-forward';
}

export interface PodTarget {
  namespace: string;
  pod: string;
  container: string;
  /** status.podIP, when the pod has one. */
  ip?: string;
}

export class KubernetesLabAccess {
  private readonly exec: Exec;
  private readonly forward: PortForward;
  private readonly authz: AuthorizationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly api: LabKubernetesApi,
    private readonly requests: ApiRequestCounter,
    private readonly locator: LabPodLocator,
  ) {
    this.exec = new Exec(kubeConfig);
    // false: the error channel is reported to us (a refused port), not a silent disconnect.
    this.forward = new PortForward(kubeConfig, false);
    this.authz = kubeConfig.makeApiClient(AuthorizationV1Api);
  }

  /** The running pod of the target's component (the container has the component's name). */
  async locate(target: LabTarget): Promise<PodTarget> {
    const namespace = labNamespaceName(this.locator.namespacePrefix, target.deploymentId, target.studentId);
    const selector = `${labDeploymentSelector(this.locator.instance, target.deploymentId)},${LABEL_LAB_COMPONENT}=${target.component}`;
    const pods = (await this.api.list(LAB_POD, selector, `metadata.namespace=${namespace}`)) as V1Pod[];
    const what = `component ${target.component} of student ${target.studentId} in lab deployment ${target.deploymentId}`;
    if (pods.length === 0) throw new NotFoundError('lab pod', `of ${what} (namespace ${namespace})`);
    const running = pods.find(
      (pod) =>
        pod.status?.phase === 'Running' &&
        !pod.metadata?.deletionTimestamp &&
        pod.status.containerStatuses?.some((c) => c.name === target.component && c.state?.running),
    );
    if (!running?.metadata?.name)
      throw new UnavailableError(
        `${what} is not running (pod ${pods[0]?.metadata?.name}: ${pods[0]?.status?.phase ?? 'unknown'})`,
        { namespace, component: target.component },
      );
    return {
      namespace,
      pod: running.metadata.name,
      container: target.component,
      ...(running.status?.podIP ? { ip: running.status.podIP } : {}),
    };
  }

  async run(
    target: LabTarget,
    command: readonly string[],
    options: LabExecOptions = {},
  ): Promise<LabExecResult> {
    const where = await this.locate(target);
    const stdout = new Collector();
    const stderr = new Collector();
    let status: V1Status | undefined;
    this.requests.count('create', 'pods/exec');
    const ws = (await this.upgrade('pods/exec', where, () =>
      this.exec.exec(
        where.namespace,
        where.pod,
        where.container,
        [...command],
        stdout,
        stderr,
        null,
        false,
        (s) => {
          status = s;
        },
      ),
    )) as unknown as WebSocketLike;
    let timedOut = false;
    await new Promise<void>((resolve) => {
      // Closing the socket ends our side only: Kubernetes has no "kill" for an exec'd process.
      const timer = setTimeout(() => {
        timedOut = true;
        ws.close();
      }, options.timeoutMs ?? DEFAULT_LAB_EXEC_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      ws.on('close', done);
      ws.on('error', done);
    });
    const startFailure = status && exitCodeOf(status) === null ? status.message : undefined;
    return {
      exitCode: timedOut || !status ? null : exitCodeOf(status),
      stdout: stdout.text(),
      stderr: startFailure ? `${stderr.text()}${startFailure}\n` : stderr.text(),
      timedOut,
    };
  }

  async terminal(target: LabTarget, options: LabTerminalOptions): Promise<LabTerminal> {
    const where = await this.locate(target);
    const input = new PassThrough();
    const screen = new ResizableOutput(options.size);
    let status: V1Status | undefined;
    this.requests.count('create', 'pods/exec');
    const command = [...(options.command ?? LAB_LOGIN_SHELL)];
    // With a TTY the shell's stderr is the terminal too: no stderr stream.
    const ws = (await this.upgrade('pods/exec', where, () =>
      this.exec.exec(where.namespace, where.pod, where.container, command, screen, null, input, true, (s) => {
        status = s;
      }),
    )) as unknown as WebSocketLike;
    const flow = new Backpressure(ws);
    const stream = new Duplex({
      write(chunk, _encoding, callback) {
        input.write(chunk);
        flow.whenSent(callback);
      },
      read() {
        flow.resume();
      },
      destroy(error, callback) {
        flow.release();
        ws.close();
        callback(error);
      },
    });
    screen.on('data', (chunk: Buffer) => {
      if (!stream.push(chunk)) flow.pause();
    });
    const exited = new Promise<number | null>((resolve) => {
      const end = () => {
        stream.push(null);
        resolve(status ? exitCodeOf(status) : null);
      };
      ws.on('close', end);
      ws.on('error', end);
    });
    return {
      stream,
      resize: (size) => screen.resize(size),
      exited,
      close: () => {
        flow.release();
        ws.close();
      },
    };
  }

  async connect(target: LabTarget, port: number): Promise<Duplex> {
    const where = await this.locate(target);
    if (this.locator.podNetwork === 'direct' && where.ip) {
      const socket = await dialPod(where, port, target.component);
      if (socket) return socket;
    }
    return this.portForward(target, where, port);
  }

  private async portForward(target: LabTarget, where: PodTarget, port: number): Promise<Duplex> {
    const input = new PassThrough();
    // The socket exists only once the upgrade is done; data may come before that line runs.
    const flow = new Backpressure();
    const stream = new Duplex({
      write(chunk, _encoding, callback) {
        input.write(chunk);
        flow.whenSent(callback);
      },
      // A half-close would close the WebSocket, and with it the answer still to come.
      final(callback) {
        callback();
      },
      read() {
        flow.resume();
      },
      destroy(error, callback) {
        flow.release();
        input.destroy();
        callback(error);
      },
    });
    // Settles once: connected (data came, or no refusal within CONNECT_SETTLE_MS) or refused.
    let settle: (error?: Error) => void = () => {};
    const settled = new Promise<void>((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => settle(), CONNECT_SETTLE_MS);
      settle = (error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
    });
    let connected = false;
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        // client-node strips the port prefix and passes on what is left, possibly nothing.
        if (chunk.length > 0) {
          settle();
          if (!stream.push(chunk)) flow.pause();
        }
        callback();
      },
    });
    const errors = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        const message = chunk.toString('utf8').trim();
        if (message) {
          const error = new UnavailableError(
            `nothing accepts connections on port ${port} of component ${target.component} (pod ${where.pod}): ${message}`,
            { namespace: where.namespace, pod: where.pod, port },
          );
          if (connected) stream.destroy(error);
          else settle(error);
        }
        callback();
      },
    });
    this.requests.count('create', 'pods/portforward');
    const ws = (await this.upgrade('pods/portforward', where, () =>
      this.forward.portForward(where.namespace, where.pod, [port], output, errors, input),
    )) as unknown as WebSocketLike;
    flow.attach(ws);
    ws.on('close', () => {
      settle(new UnavailableError(`the port-forward to ${where.pod}:${port} closed at once`));
      stream.push(null);
    });
    ws.on('error', (error) => stream.destroy(error));
    stream.on('close', () => ws.close());
    try {
      await settled;
    } catch (error) {
      ws.close();
      throw error;
    }
    connected = true;
    return stream;
  }

  /**
   * A refused WebSocket upgrade is only "Unexpected server response: 403" from the ws package, so
   * on a 403 the API server is asked which lab permission is missing (get, or create where the
   * cluster demands it for the upgrade), to name it as for every other lab call.
   */
  private async upgrade<T>(
    resource: 'pods/exec' | 'pods/portforward',
    where: PodTarget,
    open: () => Promise<T>,
  ): Promise<T> {
    const opening = open();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer in ${UPGRADE_TIMEOUT_MS / 1000} s`)),
        UPGRADE_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([opening, late]);
    } catch (error) {
      // A socket that opens after we gave up is closed at once.
      opening.then((ws) => (ws as unknown as WebSocketLike).close()).catch(() => {});
      const message = (error as { message?: string })?.message ?? String(error);
      if (/\b403\b/.test(message)) {
        const candidates = ['get', 'create']
          .map((verb) => labPermissionOf(verb, resource))
          .filter((p) => p !== undefined);
        const answers = await Promise.all(
          candidates.map((p) =>
            this.authz
              .createSelfSubjectAccessReview({
                body: { spec: { resourceAttributes: accessAttributes(p, where.namespace) } },
              })
              .then((review) => review.status?.allowed === true)
              .catch(() => false),
          ),
        );
        const missing = candidates.find((_, index) => !answers[index]) ?? candidates[0];
        if (missing) throw new KubernetesPermissionError(missing, where.namespace, message);
      }
      throw new UnavailableError(
        `cannot open ${resource} to pod ${where.pod} in ${where.namespace}: ${message}`,
        {
          namespace: where.namespace,
          pod: where.pod,
        },
      );
    } finally {
      clearTimeout(timer);
    }
  }
}

/** How long a direct dial to a pod's IP may take before connect() uses a port-forward instead. */
const DIRECT_CONNECT_TIMEOUT_MS = 3_000;

/**
 * A TCP connection to the pod's IP: the socket, connected; null when nothing answered in time
 * (the caller falls back to port-forward); an UnavailableError when the port refused.
 */
function dialPod(where: PodTarget, port: number, component: string): Promise<Duplex | null> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: where.ip, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, DIRECT_CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ECONNREFUSED')
        reject(
          new UnavailableError(
            `nothing accepts connections on port ${port} of component ${component} (pod ${where.pod}): ${error.message}`,
            { namespace: where.namespace, pod: where.pod, port },
          ),
        );
      else resolve(null);
    });
  });
}

/** 0 on success; the code a NonZeroExitCode status carries; null when it did not run. */
export function exitCodeOf(status: V1Status): number | null {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = cause?.message === undefined ? Number.NaN : Number(cause.message);
  return Number.isInteger(code) ? code : null;
}

type FlowSocket = Pick<WebSocketLike, 'pause' | 'resume'> &
  Partial<Pick<WebSocketLike, 'bufferedAmount' | 'readyState'>>;

/**
 * Flow control for what comes from the pod. client-node writes every WebSocket message into our
 * Writable and ignores its return value, so the only place to push back is the socket itself:
 * when the Duplex's readable buffer is full (push() returned false) the WebSocket is paused, and
 * read() — the consumer asking for more — resumes it. While paused, TCP stops the API server, and
 * the process in the pod blocks on a full pipe; what is buffered here stays one socket read
 * (plus what ws had already received) past the Duplex's highWaterMark.
 */
export class Backpressure {
  private paused = false;
  private released = false;
  constructor(private ws?: FlowSocket) {}
  attach(ws: FlowSocket): void {
    this.ws = ws;
    if (this.paused) ws.pause();
  }
  pause(): void {
    if (this.paused || this.released) return;
    this.paused = true;
    this.ws?.pause();
  }
  /**
   * The other direction: client-node passes what we write to ws.send() at once, so a write's
   * callback waits while more than SEND_HIGH_WATER is queued for the socket (the writer then sees
   * backpressure from our Duplex); a socket that is closing or closed holds nothing back.
   */
  whenSent(callback: () => void): void {
    const check = () => {
      const ws = this.ws;
      if (!ws || (ws.readyState ?? 1) >= 2 || (ws.bufferedAmount ?? 0) <= SEND_HIGH_WATER) callback();
      else setTimeout(check, SEND_POLL_MS);
    };
    check();
  }
  /** The reader is gone: read on (so the close handshake is seen) and never pause again. */
  release(): void {
    this.resume();
    this.released = true;
  }
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.ws?.resume();
  }
}

/** Keeps up to MAX_OUTPUT_BYTES of what is written. */
class Collector extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    const room = MAX_OUTPUT_BYTES - this.size;
    if (room > 0) {
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.chunks.push(kept);
      this.size += kept.length;
    }
    callback();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * The terminal's output, shaped as client-node's ResizableStream (`columns`, `rows`, a `resize`
 * event): Exec then sends the size on the resize channel at the start and on every change.
 */
class ResizableOutput extends PassThrough {
  columns: number;
  rows: number;
  constructor(size: LabTerminalSize) {
    super();
    this.columns = size.cols;
    this.rows = size.rows;
  }
  resize(size: LabTerminalSize): void {
    this.columns = size.cols;
    this.rows = size.rows;
    this.emit('resize');
  }
}
