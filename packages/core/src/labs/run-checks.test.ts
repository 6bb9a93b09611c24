import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { LabAccess, LabExecResult, LabTarget } from './access.ts';
import type { LabCheck, LabTemplate } from './lab-template.ts';
import { runLabChecks } from './run-checks.ts';

const copy = { deploymentId: 'ldp_1', studentId: 'usr_1' };

function template(checks: LabCheck[]): LabTemplate {
  return {
    apiVersion: 'aperture.dev/v1alpha1',
    kind: 'LabTemplate',
    metadata: { name: 'web' },
    spec: {
      resources: { cpu: '1', memory: '1Gi', storage: '1Gi' },
      components: [],
      checks,
      lifetime: { idleStopAfter: '2h', expireAfter: '30d' },
    },
  };
}

/** A peer that answers each request with the given chunks, then ends (or stays silent). */
function peer(chunks: string[], options: { end?: boolean } = {}): Duplex & { written: string } {
  const stream = new Duplex({
    read() {},
    write(chunk, _encoding, done) {
      stream.written += String(chunk);
      for (const part of chunks) stream.push(part);
      if (options.end ?? true) stream.push(null);
      done();
    },
  }) as Duplex & { written: string };
  stream.written = '';
  return stream;
}

interface FakeAccess extends LabAccess {
  connects: Array<{ target: LabTarget; port: number }>;
  execs: Array<{ command: readonly string[]; timeoutMs: number | undefined }>;
}

/** Each connect / exec takes the next answer; the last one repeats. */
function fakeAccess(answers: { connect?: Array<() => Promise<Duplex>>; exec?: LabExecResult[] }): FakeAccess {
  const connects: FakeAccess['connects'] = [];
  const execs: FakeAccess['execs'] = [];
  const next = <T>(list: T[] | undefined, n: number): T => {
    const item = list?.[Math.min(n, list.length - 1)];
    if (item === undefined) throw new Error('fake: no answer configured');
    return item;
  };
  return {
    connects,
    execs,
    connect: (target, port) => {
      connects.push({ target, port });
      return next(answers.connect, connects.length - 1)();
    },
    exec: async (_target, command, options) => {
      execs.push({ command, timeoutMs: options?.timeoutMs });
      return next(answers.exec, execs.length - 1);
    },
    openTerminal: () => Promise.reject(new Error('not used')),
  };
}

/** A clock that only moves when the code under test sleeps. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

const exited = (exitCode: number | null, stderr = '', timedOut = false): LabExecResult => ({
  exitCode,
  stdout: 'ignored\n',
  stderr,
  timedOut,
});

/** One attempt: the budget ends with the first interval (the clock is fake; attempt timers are real). */
const once = () => ({ ...fakeTime(), timeoutMs: 1_000, intervalMs: 1_000 });

const refused = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.5:8080'));
const httpCheck: LabCheck = { component: 'web', http: { port: 8080, path: '/health', status: 200 } };

describe('runLabChecks: http', () => {
  it('sends a minimal GET and passes on the expected status', async () => {
    const stream = peer(['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']);
    const access = fakeAccess({ connect: [async () => stream] });
    const [result] = await runLabChecks(access, copy, template([httpCheck]));
    expect(result).toEqual({
      index: 0,
      component: 'web',
      kind: 'http',
      ok: true,
      message: 'GET web:8080/health → 200',
      durationMs: expect.any(Number),
    });
    expect(stream.written).toBe('GET /health HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n');
    expect(access.connects).toEqual([{ target: { ...copy, component: 'web' }, port: 8080 }]);
    expect(stream.destroyed).toBe(true);
  });

  it('reads a status line that arrives in pieces', async () => {
    const access = fakeAccess({ connect: [async () => peer(['HT', 'TP/1.0 2', '00\r\n'], { end: false })] });
    const [result] = await runLabChecks(access, copy, template([httpCheck]));
    expect(result?.ok).toBe(true);
  });

  it('fails on another status after retrying until the timeout', async () => {
    const time = fakeTime();
    const access = fakeAccess({ connect: [async () => peer(['HTTP/1.1 404 Not Found\r\n\r\n'])] });
    const options = { ...time, timeoutMs: 5_000, intervalMs: 1_000 };
    const [result] = await runLabChecks(access, copy, template([httpCheck]), options);
    expect(result).toMatchObject({
      ok: false,
      message: 'GET web:8080/health → 404, expected 200 (5 attempts)',
    });
    expect(access.connects).toHaveLength(5);
    expect(time.sleeps).toEqual([1_000, 1_000, 1_000, 1_000]);
    expect(result?.durationMs).toBe(4_000);
  });

  it('fails on a peer that never answers, within the attempt bound', async () => {
    const access = fakeAccess({ connect: [async () => peer([], { end: false })] });
    const options = { ...once(), attemptTimeoutMs: 30 };
    const [result] = await runLabChecks(access, copy, template([httpCheck]), options);
    expect(result).toMatchObject({ ok: false, message: 'GET web:8080/health → no answer in 30 ms' });
  });

  it('reads at most 64 KiB looking for the status line', async () => {
    const access = fakeAccess({ connect: [async () => peer(['x'.repeat(70 * 1024)], { end: false })] });
    const [result] = await runLabChecks(access, copy, template([httpCheck]), once());
    expect(result?.message).toBe('GET web:8080/health → no status line in the first 64 KiB');
  });

  it('fails on something that is not HTTP, or a connection closed before it answered', async () => {
    const garbage = fakeAccess({ connect: [async () => peer(['SSH-2.0-OpenSSH\r\n'])] });
    const closed = fakeAccess({ connect: [async () => peer([])] });
    const [notHttp] = await runLabChecks(garbage, copy, template([httpCheck]), once());
    const [early] = await runLabChecks(closed, copy, template([httpCheck]), once());
    expect(notHttp?.message).toBe('GET web:8080/health → not an HTTP status line: "SSH-2.0-OpenSSH"');
    expect(early?.message).toBe('GET web:8080/health → connection closed before a status line');
  });

  it('refuses a path that would break the request line, without connecting', async () => {
    const access = fakeAccess({});
    const forged: LabCheck = {
      component: 'web',
      http: { port: 80, path: '/ HTTP/1.1\r\nX: y', status: 200 },
    };
    const [result] = await runLabChecks(access, copy, template([forged]), once());
    expect(result?.message).toBe('GET web:80/ HTTP/1.1\r\nX: y → the path has a space or control character');
    expect(access.connects).toEqual([]);
  });

  it('retries a refused connection until the component listens', async () => {
    const time = fakeTime();
    const ok = async () => peer(['HTTP/1.1 200 OK\r\n\r\n']);
    const access = fakeAccess({ connect: [refused, refused, ok] });
    const [result] = await runLabChecks(access, copy, template([httpCheck]), { ...time, intervalMs: 500 });
    expect(result).toMatchObject({ ok: true, message: 'GET web:8080/health → 200', durationMs: 1_000 });
    expect(time.sleeps).toEqual([500, 500]);
  });
});

describe('runLabChecks: tcp', () => {
  const tcpCheck: LabCheck = { component: 'db', tcp: { port: 5432 } };

  it('passes when the port accepts a connection, and closes it', async () => {
    const stream = peer([], { end: false });
    const access = fakeAccess({ connect: [async () => stream] });
    const [result] = await runLabChecks(access, copy, template([tcpCheck]));
    expect(result).toMatchObject({ kind: 'tcp', ok: true, message: 'TCP db:5432 → open' });
    expect(stream.destroyed).toBe(true);
  });

  it('fails with the reason when the connection is refused to the end', async () => {
    const time = fakeTime();
    const access = fakeAccess({ connect: [refused] });
    const [result] = await runLabChecks(access, copy, template([tcpCheck]), { ...time, timeoutMs: 2_000 });
    expect(result).toMatchObject({
      ok: false,
      message: 'TCP db:5432 → connect ECONNREFUSED 10.0.0.5:8080 (2 attempts)',
      durationMs: 1_000,
    });
  });

  it('closes a connection that arrives after the attempt bound', async () => {
    const stream = peer([], { end: false });
    const late = () => new Promise<Duplex>((resolve) => setTimeout(() => resolve(stream), 60));
    const access = fakeAccess({ connect: [late] });
    const [result] = await runLabChecks(access, copy, template([tcpCheck]), {
      ...once(),
      attemptTimeoutMs: 20,
    });
    expect(result?.message).toBe('TCP db:5432 → no answer in 20 ms');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(stream.destroyed).toBe(true);
  });
});

describe('runLabChecks: exec', () => {
  const execCheck: LabCheck = { component: 'db', exec: { command: ['pg_isready', '-q'] } };

  it('passes on exit 0 and bounds the command by the attempt timeout', async () => {
    const access = fakeAccess({ exec: [exited(0)] });
    const [result] = await runLabChecks(access, copy, template([execCheck]), { attemptTimeoutMs: 4_000 });
    expect(result).toMatchObject({ kind: 'exec', ok: true, message: 'exit 0' });
    expect(access.execs).toEqual([{ command: ['pg_isready', '-q'], timeoutMs: 4_000 }]);
  });

  it('reports the exit code and the last line of stderr', async () => {
    const access = fakeAccess({ exec: [exited(2, 'starting\npg_isready: no response\n\n')] });
    const [result] = await runLabChecks(access, copy, template([execCheck]), once());
    expect(result).toMatchObject({ ok: false, message: 'exit 2: pg_isready: no response' });
  });

  it('reports a timed-out, a killed command, and a target that is not there', async () => {
    const options = { ...once(), attemptTimeoutMs: 3_000 };
    const timedOut = fakeAccess({ exec: [exited(null, '', true)] });
    const killed = fakeAccess({ exec: [exited(null)] });
    const missing = fakeAccess({});
    missing.exec = () => Promise.reject(new Error('lab ldp_1/usr_1 has no component "db" running'));
    const messages = await Promise.all(
      [timedOut, killed, missing].map(
        async (a) => (await runLabChecks(a, copy, template([execCheck]), options))[0]?.message,
      ),
    );
    expect(messages).toEqual([
      'timed out after 1 s',
      'killed',
      'exec in db → lab ldp_1/usr_1 has no component "db" running',
    ]);
  });

  it('retries until the command succeeds', async () => {
    const time = fakeTime();
    const access = fakeAccess({ exec: [exited(1, 'no'), exited(1, 'no'), exited(0)] });
    const [result] = await runLabChecks(access, copy, template([execCheck]), time);
    expect(result).toMatchObject({ ok: true, message: 'exit 0', durationMs: 2_000 });
    expect(access.execs).toHaveLength(3);
  });
});

describe('runLabChecks: a template', () => {
  it('runs every check in order, past a failing one, each with its own budget', async () => {
    const time = fakeTime();
    const access = fakeAccess({
      connect: [refused, refused, async () => peer(['HTTP/1.1 200 OK\r\n\r\n'])],
      exec: [exited(0)],
    });
    const checks: LabCheck[] = [
      { component: 'db', tcp: { port: 5432 } },
      httpCheck,
      { component: 'shell', exec: { command: ['true'] } },
    ];
    const results = await runLabChecks(access, copy, template(checks), { ...time, timeoutMs: 2_000 });
    expect(results.map((r) => [r.index, r.component, r.kind, r.ok, r.durationMs])).toEqual([
      [0, 'db', 'tcp', false, 1_000],
      [1, 'web', 'http', true, 0],
      [2, 'shell', 'exec', true, 0],
    ]);
    expect(await runLabChecks(access, copy, template([]))).toEqual([]);
  });
});
