/**
 * What every LabProvisioner (with its LabAccess) must do, whatever engine is behind it: the same
 * small lab (the catalog's `webserver`: nginx and a shell with a home volume) deployed to two
 * students, followed through its life — ready, re-deployed without change, reached by exec, a
 * terminal and TCP, isolated from the other student, stopped and started with its files kept,
 * reset, torn down with a verified receipt. A backend's test file calls this with a factory.
 *
 * The tests run in order and share the deployment. A test environment that truly cannot do a
 * thing (a cluster of kwok nodes has no containers to exec into) names it in `skip` with the
 * reason, which becomes part of the skipped test's name, so nothing is skipped silently.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import {
  catalogLabTemplate,
  type ImageDigests,
  type LabAccess,
  type LabProgressEvent,
  type LabProvisioner,
  type LabStudent,
  type LabTarget,
  type LabTemplate,
  type LabVersionRef,
  labVersionId,
  type StudentLabStatus,
} from '@aperture/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

export type LabCapability = 'exec' | 'terminal' | 'connect' | 'isolation' | 'digests';

export interface LabProvisionerUnderTest extends LabProvisioner, LabAccess {
  close?(): Promise<void>;
}

export interface LabContractOptions {
  /**
   * The engine's own record of a deployment's objects, with what changes when one is rewritten
   * (container ids, resourceVersions): equal before and after a re-deploy that changes nothing.
   */
  fingerprint(deploymentId: string): Promise<string[]>;
  /**
   * Every address by which another lab might try to reach this component (its IP, cluster DNS
   * names). The other student's shell must reach none of them.
   */
  peerAddresses(target: LabTarget): Promise<string[]>;
  /** What the backend's own search still finds of the deployment; must be empty after teardown. */
  leftovers(deploymentId: string): Promise<string[]>;
  /** Capabilities this environment cannot have, each with why (e.g. kwok nodes run no containers). */
  skip?: Partial<Record<LabCapability, string>>;
  /** Images pinned in the deployed version (default: none; `digests` checks resolving them). */
  images?: ImageDigests;
  /** How long a copy may take to become ready (default 90 s). */
  readyTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The lab every backend runs: small, so it fits a laptop's Podman and a test cluster alike. */
export function contractLabTemplate(): LabTemplate {
  const result = catalogLabTemplate('webserver', { cpu: '1', memory: '1Gi', storage: '1Gi' });
  if (!result.ok) throw new Error(`catalog webserver: ${JSON.stringify(result.errors)}`);
  return result.template;
}

/**
 * Everything a stream sends, kept from the moment this is called (a stream in flowing mode drops
 * what no listener takes), and a wait for a pattern in what came since the last `mark()`.
 */
export function collect(stream: Duplex) {
  let seen = '';
  let from = 0;
  let closed = false;
  const waiters = new Set<() => void>();
  stream.on('data', (chunk: Buffer | string) => {
    seen += chunk.toString();
    for (const wake of waiters) wake();
  });
  stream.on('close', () => {
    closed = true;
    for (const wake of waiters) wake();
  });
  return {
    text: () => seen,
    mark: () => {
      from = seen.length;
    },
    until(pattern: RegExp, ms = 15_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const since = seen.slice(from);
          if (pattern.test(since)) return finish(() => resolve(since));
          if (closed)
            finish(() =>
              reject(new Error(`closed before ${pattern}; got ${JSON.stringify(since.slice(-300))}`)),
            );
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(`no ${pattern} in ${ms} ms; got ${JSON.stringify(seen.slice(from).slice(-300))}`),
              ),
            ),
          ms,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

export function labProvisionerContract(
  name: string,
  makeProvisioner: () => Promise<LabProvisionerUnderTest>,
  options: LabContractOptions,
): void {
  const skip = options.skip ?? {};
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  /** `it`, or a skipped test whose name says why; a test needing several capabilities names the first missing. */
  const test = (needs: LabCapability[], title: string, body: () => Promise<void>, timeout = 60_000) => {
    const missing = needs.find((capability) => skip[capability] !== undefined);
    if (missing) it.skip(`${title} (skipped on ${name}: ${skip[missing]})`, body);
    else it(title, body, timeout);
  };
  const can = (capability: LabCapability) => skip[capability] === undefined;

  describe(`LabProvisioner contract: ${name}`, () => {
    const run = randomBytes(3).toString('hex');
    const deploymentId = `contract-${run}`;
    const alice: LabStudent = { id: `alice-${run}`, username: 'alice' };
    const bob: LabStudent = { id: `bob-${run}`, username: 'bob' };
    const students = [alice, bob];
    const template = contractLabTemplate();
    const images = options.images ?? {};
    const labVersion: LabVersionRef = { id: labVersionId(template, images), template, images };
    const shellOf = (student: LabStudent): LabTarget => ({
      deploymentId,
      studentId: student.id,
      component: 'shell',
    });
    const webOf = (student: LabStudent): LabTarget => ({
      deploymentId,
      studentId: student.id,
      component: 'web',
    });
    let labs: LabProvisionerUnderTest;
    let tornDown = false;

    const statusOf = async (student: LabStudent): Promise<StudentLabStatus> => {
      const report = await labs.status(deploymentId, students);
      const found = report.students.find((entry) => entry.student.id === student.id);
      if (!found) throw new Error(`status has no entry for ${student.id}`);
      return found;
    };
    const waitFor = async (student: LabStudent, state: StudentLabStatus['state']) => {
      const deadline = Date.now() + readyTimeoutMs;
      let last: StudentLabStatus | undefined;
      while (Date.now() < deadline) {
        last = await statusOf(student);
        if (last.state === state) return last;
        await sleep(500);
      }
      throw new Error(`${student.username} never became ${state}: ${JSON.stringify(last)}`);
    };
    const shell = (student: LabStudent, script: string) =>
      labs.exec(shellOf(student), ['sh', '-c', script], { timeoutMs: 20_000 });

    beforeAll(async () => {
      labs = await makeProvisioner();
    });
    afterAll(async () => {
      if (labs && !tornDown) await labs.teardown(deploymentId).catch(() => undefined);
      await labs?.close?.();
    });

    test(
      [],
      'deploys to two students, reporting progress for each',
      async () => {
        const events: LabProgressEvent[] = [];
        const report = await labs.deploy({
          deploymentId,
          labVersion,
          students,
          onProgress: (e) => events.push(e),
        });
        expect(report).toMatchObject({ deploymentId, versionId: labVersion.id, succeeded: 2, failed: 0 });
        expect(report.students.map((result) => [result.student.id, result.ok])).toEqual([
          [alice.id, true],
          [bob.id, true],
        ]);
        expect(new Set(report.students.map((result) => result.environment)).size).toBe(2);
        for (const student of students) {
          const phases = events.filter((e) => e.student.id === student.id).map((e) => e.phase);
          expect(phases[0]).toBe('applying');
          expect(phases.at(-1)).toBe('ready');
        }
      },
      180_000,
    );

    test(
      [],
      'both copies become ready, every component with it',
      async () => {
        for (const student of students) {
          const status = await waitFor(student, 'ready');
          expect(status.versionId).toBe(labVersion.id);
          expect(status.components.map((c) => [c.name, c.desired, c.ready]).sort()).toEqual(
            template.spec.components.map((c) => [c.name, 1, 1]).sort(),
          );
        }
      },
      readyTimeoutMs * 2 + 10_000,
    );

    test(
      [],
      'a re-deploy of converged students changes nothing',
      async () => {
        const before = await options.fingerprint(deploymentId);
        expect(before.length).toBeGreaterThan(0);
        const report = await labs.deploy({ deploymentId, labVersion, students });
        expect(report.succeeded).toBe(2);
        expect(await options.fingerprint(deploymentId)).toEqual(before);
        expect((await statusOf(alice)).state).toBe('ready');
      },
      120_000,
    );

    test(['exec'], 'exec returns stdout, stderr and the exit code, and stops at its timeout', async () => {
      const result = await labs.exec(shellOf(alice), ['sh', '-c', 'echo out; echo err >&2; id -u; exit 3']);
      expect(result).toEqual({ exitCode: 3, stdout: 'out\n1000\n', stderr: 'err\n', timedOut: false });
      const started = Date.now();
      const slow = await labs.exec(shellOf(alice), ['sleep', '60'], { timeoutMs: 1_000 });
      expect(slow).toMatchObject({ timedOut: true, exitCode: null });
      expect(Date.now() - started).toBeLessThan(15_000);
      await expect(
        labs.exec({ ...shellOf(alice), component: 'no-such-component' }, ['true']),
      ).rejects.toMatchObject({ code: 'not_found' });
    });

    test(
      ['terminal'],
      'a terminal runs what is typed in a TTY, resizes, and reports the exit code',
      async () => {
        const terminal = await labs.openTerminal(shellOf(alice), { size: { cols: 80, rows: 24 } });
        const screen = collect(terminal.stream);
        try {
          // $((6*7)) rather than `echo hi`: the echo of the typed line must not count as the answer.
          terminal.stream.write('echo $((6*7))\r');
          await screen.until(/[\r\n]42\r?\n/);
          screen.mark();
          terminal.stream.write('tty; stty size\r');
          await screen.until(/[\r\n]\/dev\/pts\/\d+\r?\n24 80\r?\n/);
          screen.mark();
          terminal.resize({ cols: 100, rows: 30 });
          await sleep(300);
          terminal.stream.write('stty size\r');
          await screen.until(/[\r\n]30 100\r?\n/);
          terminal.stream.write('exit 7\r');
          expect(await terminal.exited).toBe(7);
        } finally {
          terminal.close();
        }
      },
    );

    test(['connect'], 'connect reaches the web component: HTTP 200 on 8080', async () => {
      const socket = await labs.connect(webOf(alice), 8080);
      try {
        socket.write('GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n');
        const head = await collect(socket).until(/\r\n\r\n/);
        expect(head).toMatch(/^HTTP\/1\.1 200 /);
      } finally {
        socket.destroy();
      }
      await expect(labs.connect(webOf(alice), 9)).rejects.toThrow();
    });

    test(
      ['exec', 'isolation'],
      "a student's lab cannot reach the other student's",
      async () => {
        // The control: curl works, and `web` is the student's own.
        const own = await shell(alice, 'curl -sS -m 10 -o /dev/null -w "%{http_code}" http://web:8080/');
        expect(own).toMatchObject({ exitCode: 0, stdout: '200' });
        const addresses = await options.peerAddresses(webOf(bob));
        expect(addresses.length).toBeGreaterThan(0);
        for (const address of addresses) {
          const probe = await shell(
            alice,
            `curl -sS --connect-timeout 4 -m 6 -o /dev/null -w "%{http_code}" http://${address}:8080/`,
          );
          expect({ address, reached: probe.exitCode === 0 }).toEqual({ address, reached: false });
        }
      },
      120_000,
    );

    test(
      [],
      'stop ends the copy and keeps its files; a deploy starts it again',
      async () => {
        if (can('exec')) expect((await shell(alice, 'echo kept > "$HOME/kept.txt"')).exitCode).toBe(0);
        await labs.stop({ deploymentId, student: alice });
        await waitFor(alice, 'stopped');
        expect((await statusOf(bob)).state).toBe('ready');
        await labs.stop({ deploymentId, student: alice });
        if (can('exec')) await expect(shell(alice, 'true')).rejects.toThrow();
        const report = await labs.deploy({ deploymentId, labVersion, students: [alice] });
        expect(report.succeeded).toBe(1);
        await waitFor(alice, 'ready');
        if (can('exec'))
          expect(await shell(alice, 'cat "$HOME/kept.txt"')).toMatchObject({ exitCode: 0, stdout: 'kept\n' });
      },
      readyTimeoutMs * 2 + 30_000,
    );

    test(
      [],
      'reset returns the copy to the version as published',
      async () => {
        const result = await labs.reset({ deploymentId, labVersion, student: alice });
        expect(result).toMatchObject({ ok: true, student: alice });
        await waitFor(alice, 'ready');
        if (can('exec')) expect((await shell(alice, 'test -e "$HOME/kept.txt"')).exitCode).toBe(1);
        expect((await statusOf(bob)).state).toBe('ready');
      },
      readyTimeoutMs + 60_000,
    );

    test(['digests'], 'resolves image digests, and names an image it cannot', async () => {
      const wanted = template.spec.components.map((component) => component.image);
      const digests = await labs.resolveImageDigests(wanted);
      for (const image of wanted) expect(digests[image]).toMatch(/^sha256:[0-9a-f]{64}$/);
      const missing = `aperture/lab-missing-${run}`;
      await expect(labs.resolveImageDigests([missing])).rejects.toMatchObject({
        code: 'validation_failed',
        message: expect.stringContaining(missing),
      });
    });

    test(
      [],
      'teardown deletes everything of the deployment and verifies it by label',
      async () => {
        const receipt = await labs.teardown(deploymentId);
        tornDown = true;
        expect(receipt).toMatchObject({ deploymentId, verified: true, remaining: [], errors: [] });
        expect(receipt.deleted.length).toBeGreaterThan(0);
        expect(await options.leftovers(deploymentId)).toEqual([]);
        const status = await labs.status(deploymentId, students);
        expect(status.students.map((entry) => [entry.student.id, entry.state]).sort()).toEqual([
          [alice.id, 'missing'],
          [bob.id, 'missing'],
        ]);
        const again = await labs.teardown(deploymentId);
        expect(again).toMatchObject({ verified: true, deleted: [], remaining: [] });
      },
      180_000,
    );
  });
}
