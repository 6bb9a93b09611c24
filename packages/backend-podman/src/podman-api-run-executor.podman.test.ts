import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describeRunExecutorContract, file, requestFor, runOf } from '@aperture/backend-contract';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PodmanApiClient } from './podman-api-client.ts';
import { PodmanApiRunExecutor } from './podman-api-run-executor.ts';
import { podman } from './podman-cli.ts';
import { DEFAULT_ID_BASE, HARNESS_CAPABILITIES, imageRef, sandboxRunArgs } from './sandbox-args.ts';

const logger = pino({ level: process.env['APERTURE_TEST_LOG'] ?? 'silent' });

// biome-ignore lint/suspicious/noExplicitAny: `podman inspect` and OCI configs are untyped JSON, read field by field
type Inspected = Record<string, any>;

/** This suite's executors share one instance label, so parallel Podman suites never meet. */
const instance = `api-test-${randomBytes(4).toString('hex')}`;

/** Sandboxes of this suite's instance still present, excluding idle pool ones (no run label). */
async function leftovers(): Promise<string[]> {
  const listed = await podman('podman', [
    'ps',
    '--all',
    '--filter',
    `label=dev.aperture.instance=${instance}`,
    '--filter',
    'label=dev.aperture.run',
    '--format',
    '{{.Names}}',
  ]);
  return listed.stdout.split('\n').filter(Boolean);
}

const create = (poolSize = 0, socketPath?: string) =>
  PodmanApiRunExecutor.create({
    podmanPath: 'podman',
    imagePrefix: 'localhost/',
    instance,
    poolSize,
    poolLanguages: ['python'],
    logger,
    ...(socketPath ? { socketPath } : {}),
  });

describeRunExecutorContract('podman api (cold)', () => create(0), { leftovers });
describeRunExecutorContract('podman api (warm pool)', () => create(2), { leftovers });

/** Cgroup boxes of this suite's sandboxes still on the host (every hierarchy: Podman makes them all). */
function leftoverBoxes(): string[] {
  return readdirSync('/sys/fs/cgroup').flatMap((hierarchy) => {
    try {
      return readdirSync(`/sys/fs/cgroup/${hierarchy}`)
        .filter((name) => name.startsWith(`aperture-box-${instance}+`))
        .map((name) => `${hierarchy}/${name}`);
    } catch {
      return [];
    }
  });
}

async function inspect(name: string): Promise<Inspected> {
  const out = await podman('podman', ['inspect', name]);
  if (out.code !== 0) throw new Error(out.stderr);
  return (JSON.parse(out.stdout) as Array<Inspected>)[0]!;
}

/** The OCI runtime config Podman wrote, without what differs between any two containers. */
function ociConfig(inspected: Inspected): unknown {
  const config = JSON.parse(readFileSync(inspected['OCIConfigPath'] as string, 'utf8')) as Inspected;
  delete config['root'];
  delete config['annotations']['io.kubernetes.cri-o.Created'];
  // The CLI spells out "TTY: false"; the API leaves it unset (no terminal either way).
  delete config['annotations']['io.kubernetes.cri-o.TTY'];
  config['process']['env'].sort();
  config['mounts'].sort((a: { destination: string }, b: { destination: string }) =>
    a.destination.localeCompare(b.destination),
  );
  return JSON.parse(JSON.stringify(config).replaceAll(inspected['Id'] as string, 'ID'));
}

describe('podman api sandbox', () => {
  it('creates the same hardened container as the CLI path', async () => {
    const executor = await create(0);
    const controller = new AbortController();
    const request = requestFor(
      runOf({ language: 'python', files: [file('main.py', 'import time\ntime.sleep(30)')] }),
      controller.signal,
    );
    const name = `aperture-api-${request.runId}-${request.attempt}`;
    const cliName = `aperture-cli-twin-${request.runId}`;
    const pending = executor.execute(request);
    try {
      let running: Inspected | undefined;
      for (let i = 0; i < 100 && !running; i++) {
        const found = await podman('podman', ['ps', '--filter', `name=^${name}$`, '--format', '{{.Names}}']);
        if (found.stdout.trim() === name) running = await inspect(name);
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(running).toBeDefined();
      const api = running!;
      const spec = request.sandbox;
      expect(api['HostConfig']).toMatchObject({
        ReadonlyRootfs: true,
        // Podman lists only what its default set lacks; the rest of HARNESS_CAPABILITIES is below.
        CapAdd: ['CAP_SYS_ADMIN'],
        Memory: spec.memoryBytes,
        MemorySwap: spec.memoryBytes,
        PidsLimit: spec.pids,
        CpuQuota: spec.cpus * 100_000,
        CpuPeriod: 100_000,
        NetworkMode: 'none',
        AutoRemove: true,
        SecurityOpt: expect.arrayContaining(['no-new-privileges']),
      });
      // Every capability Podman would otherwise grant is dropped but the harness's few, which are
      // namespaced (root of the sandbox's own user namespace) and never reach the student's program.
      expect(api['HostConfig']['CapDrop']).toEqual(
        expect.arrayContaining(['CAP_NET_RAW', 'CAP_MKNOD', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT']),
      );
      expect([...api['EffectiveCaps']].sort()).toEqual(HARNESS_CAPABILITIES.map((c) => `CAP_${c}`).sort());
      expect(api['HostConfig']['IDMappings']).toMatchObject({
        UidMap: [`0:${DEFAULT_ID_BASE}:65536`],
        GidMap: [`0:${DEFAULT_ID_BASE}:65536`],
      });
      expect(api['Config']).toMatchObject({
        User: '0:0',
        Hostname: 'sandbox',
        WorkingDir: '/work',
        OpenStdin: true,
        Labels: {
          'dev.aperture.managed': 'true',
          'dev.aperture.run': request.runId,
          'dev.aperture.instance': instance,
        },
      });
      // The job (and its hidden expected outputs) travels on stdin only: not in env, args or files.
      expect(JSON.stringify(api)).not.toContain(request.job.nonce);

      // The CLI path's container for the same sandbox spec, created and initialised, not started.
      // The same isolation as the API's container: the same mapping and the same cgroup box.
      const binds = (api['Mounts'] as Inspected[])
        .filter((m) => String(m['Destination']).startsWith('/aperture/cgroup/'))
        .map((m) => ({ source: m['Source'] as string, destination: m['Destination'] as string }));
      expect(binds.map((b) => b.destination).sort()).toEqual([
        '/aperture/cgroup/cpuacct',
        '/aperture/cgroup/memory',
        '/aperture/cgroup/pids',
      ]);
      const isolation = {
        idBase: DEFAULT_ID_BASE,
        cgroups: { parent: api['HostConfig']['CgroupParent'] as string, binds },
      };
      const args = sandboxRunArgs(
        { ...spec, image: imageRef('localhost/', spec.image) },
        cliName,
        { 'dev.aperture.run': request.runId, 'dev.aperture.instance': instance },
        isolation,
      );
      const created = await podman('podman', ['create', ...args.slice(1)]);
      expect(created.stderr).toBe('');
      await podman('podman', ['init', cliName]);
      const cli = await inspect(cliName);
      for (const key of [
        'ReadonlyRootfs',
        'CapAdd',
        'CapDrop',
        'Memory',
        'MemorySwap',
        'PidsLimit',
        'CpuQuota',
        'CpuPeriod',
        'NetworkMode',
        'SecurityOpt',
        'Tmpfs',
        'LogConfig',
        'AutoRemove',
        'Ulimits',
      ])
        expect([key, api['HostConfig'][key]]).toEqual([key, cli['HostConfig'][key]]);
      for (const key of ['User', 'Hostname', 'WorkingDir', 'OpenStdin', 'StdinOnce', 'Labels'])
        expect([key, api['Config'][key]]).toEqual([key, cli['Config'][key]]);
      // Podman builds the environment from a map: same variables, in any order.
      expect([...api['Config']['Env']].sort()).toEqual([...cli['Config']['Env']].sort());
      // Everything the kernel enforces comes from the OCI runtime config: identical.
      expect(ociConfig(api)).toEqual(ociConfig(cli));
    } finally {
      controller.abort();
      await pending;
      await podman('podman', ['rm', '--force', '--ignore', '--time', '0', cliName]);
      await executor.close();
    }
    expect(await leftovers()).toEqual([]);
  }, 60_000);

  it('answers with a result when the program kills everything it can: the harness is out of its reach', async () => {
    const executor = await create(0);
    try {
      // Before ADR 0006 the program shared the harness's uid and this left the run without a result.
      const program = 'import os, signal\nos.kill(-1, signal.SIGKILL)';
      const outcome = await executor.execute(
        requestFor(runOf({ language: 'python', files: [file('main.py', program)] })),
      );
      expect(outcome).toMatchObject({ kind: 'result', result: { status: 'ok' } });
    } finally {
      await executor.close();
    }
    // Removed after the answer; close() waits for removals still under way.
    expect(await leftovers()).toEqual([]);
  }, 60_000);

  it('a pool sandbox serves many jobs, and no job sees what an earlier one left (ADR 0006)', async () => {
    const executor = await create(1);
    const poolSandboxes = async () =>
      (
        await podman('podman', [
          'ps',
          '--filter',
          `label=dev.aperture.instance=${instance}`,
          '--filter',
          'label=dev.aperture.pool',
          '--format',
          '{{.Names}}',
        ])
      ).stdout
        .split('\n')
        .filter(Boolean);
    try {
      let before: string[] = [];
      for (let i = 0; i < 100 && before.length === 0; i++) {
        before = await poolSandboxes();
        if (before.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // ready: the harness waits on stdin
      // conmon stays out of the box (and so does the cleanup it starts when the container ends):
      // the box holds the container alone, and is empty the moment the container is removed.
      const [box] = leftoverBoxes().filter((path) => path.startsWith('memory/'));
      expect(
        readdirSync(`/sys/fs/cgroup/${box}`, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name),
      ).toEqual([expect.stringMatching(/^libpod-/)]);
      const leave = [
        'import os',
        'for d in ["/work", "/tmp", "/dev/shm", os.path.expanduser("~")]:',
        '    try: open(os.path.join(d, "left.txt"), "w").write("from job one")',
        '    except OSError: pass',
        'print("left")',
      ].join('\n');
      const look = [
        'import os',
        'print([d for d in ["/work", "/tmp", "/dev/shm", "/autograder"] if os.path.exists(os.path.join(d, "left.txt"))])',
      ].join('\n');
      const first = await executor.execute(
        requestFor(runOf({ language: 'python', files: [file('main.py', leave)] })),
      );
      const second = await executor.execute(
        requestFor(runOf({ language: 'python', files: [file('main.py', look)] })),
      );
      expect(first).toMatchObject({ kind: 'result', result: { execution: { stdout: 'left\n' } } });
      expect(second).toMatchObject({ kind: 'result', result: { execution: { stdout: '[]\n' } } });
      // Both jobs ran in the one pool sandbox that was there before them: no container was started.
      expect(before).toHaveLength(1);
      expect(await poolSandboxes()).toEqual(before);
    } finally {
      await executor.close();
    }
    // And the host keeps no cgroup box of this suite's sandboxes, in any hierarchy.
    let boxes = leftoverBoxes();
    for (let i = 0; i < 50 && boxes.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      boxes = leftoverBoxes();
    }
    expect(boxes).toEqual([]);
  }, 60_000);

  it('starts its own API service and stops it on close; or uses a given socket', async () => {
    const owner = await create(0);
    const socketPath = owner.socketPath;
    expect(existsSync(socketPath)).toBe(true);
    const guest = await create(0, socketPath);
    expect((await guest.health()).details['socket']).toBe(socketPath);
    expect((await guest.health()).ok).toBe(true);
    await guest.close();
    expect(await new PodmanApiClient(socketPath).ping()).toBe(true); // a guest does not stop it
    await owner.close();
    const client = new PodmanApiClient(socketPath);
    expect(await client.ping(1000)).toBe(false);
    client.close();
    expect(existsSync(socketPath)).toBe(false);
  }, 60_000);

  it('starts its API service again when it dies', async () => {
    const executor = await create(0);
    try {
      const before = executor.ownService!.pid!;
      process.kill(before, 'SIGKILL'); // the service is this test's own grandchild
      await expect.poll(() => executor.ownService!.alive, { timeout: 10_000 }).toBe(false);
      const outcome = await executor.execute(
        requestFor(runOf({ language: 'python', files: [file('main.py', 'print(6*7)')] })),
      );
      expect(outcome.kind === 'result' && outcome.result.execution?.stdout).toBe('42\n');
      expect(executor.ownService).toMatchObject({ alive: true });
      expect(executor.ownService!.pid).not.toBe(before);
    } finally {
      await executor.close();
    }
  }, 60_000);
});
