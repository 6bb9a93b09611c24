/**
 * The lab base images (images/lab-*) under exactly the hardening the Kubernetes rendering gives
 * them: each catalog type is rendered with renderStudentLab, and every Deployment's container
 * becomes a `podman run` with the same uid/gid, read-only root filesystem, a tmpfs for every
 * volume mount (emptyDirs and claims alike), all capabilities dropped, no privilege escalation and
 * the same env. The components of one lab share a Podman network made for the test, each reachable
 * by its component name (as its Service is on Kubernetes), with ports published on 127.0.0.1 only.
 * Then the lab's own checks run, and what students do first: curl the web server from the shell,
 * psql from the shell, read the VNC banner.
 *
 * Needs the images: scripts/build-images.sh lab-shell lab-nginx lab-postgres lab-desktop.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { DEFAULT_DNS_PEER, type LabRenderOptions, renderStudentLab } from '@aperture/backend-kubernetes';
import { catalogLabTemplate, type LabCheck, type LabTemplate } from '@aperture/core';
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const RUN_ID = `labimg-${process.pid}`;
const TEST_LABEL = `dev.aperture.test=${RUN_ID}`;

const options: LabRenderOptions = {
  namespacePrefix: 'lab',
  instance: 'test',
  proxy: { namespaceLabels: { 'kubernetes.io/metadata.name': 'aperture' }, podLabels: { app: 'aperture' } },
  dns: DEFAULT_DNS_PEER,
  internetEgress: false,
  extraBlockedCidrs: [],
  imagePrefix: 'localhost/',
  imagePullPolicy: 'Never',
  storageClassName: undefined,
  priorityClassName: undefined,
  runtimeClassName: undefined,
  nodeSelector: {},
  tolerations: [],
};

interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

async function podman(args: string[], timeout = 60_000): Promise<Exec> {
  try {
    const { stdout, stderr } = await run('podman', args, { timeout, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? failed.message,
    };
  }
}

async function podmanOk(args: string[]): Promise<string> {
  const result = await podman(args);
  if (result.code !== 0)
    throw new Error(`podman ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries `attempt` until it returns without throwing, for at most `ms`. */
async function eventually<T>(attempt: () => Promise<T>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}

/** With storage the persistent directories are volumes; with `--storage 0` scratch writablePaths. */
function catalog(type: string, storage: string): LabTemplate {
  const result = catalogLabTemplate(type, { cpu: '2', memory: '2Gi', storage });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.template;
}

/** The `podman run` of a rendered Deployment, with the hardening translated flag by flag. */
function podmanRunArgs(deployment: V1Deployment, network: string, container: string): string[] {
  const pod = deployment.spec!.template.spec!;
  const [spec] = pod.containers;
  if (!spec || pod.containers.length !== 1) throw new Error('one container per lab pod');
  const security = spec.securityContext!;
  const uid = pod.securityContext!.runAsUser!;
  const gid = pod.securityContext!.runAsGroup ?? uid;
  // No --rm: a container that exits keeps its logs for the failure message; sweep() removes it.
  const args = ['run', '-d', '--name', container, '--label', TEST_LABEL];
  args.push('--network', network, '--network-alias', spec.name);
  args.push('--user', `${uid}:${gid}`);
  // --read-only-tmpfs=false: Kubernetes adds no writable /run or /var/tmp, so neither does the test.
  // (Podman's own /run tmpfs would also break writable paths below /run: it creates their mount
  // points 1755 root, so uid 1000 could not write /run/postgresql.)
  if (security.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false');
  for (const cap of security.capabilities?.drop ?? []) args.push('--cap-drop', cap);
  if (security.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  // Every mount is an emptyDir or a fresh claim: empty, writable for the pod's group.
  for (const mount of spec.volumeMounts ?? []) args.push('--tmpfs', mount.mountPath);
  for (const variable of spec.env ?? []) args.push('--env', `${variable.name}=${variable.value ?? ''}`);
  for (const port of spec.ports ?? []) args.push('--publish', `127.0.0.1::${port.containerPort}`);
  if (spec.command) args.push('--entrypoint', JSON.stringify(spec.command));
  args.push(spec.image!, ...(spec.args ?? []));
  return args;
}

interface StartedLab {
  template: LabTemplate;
  /** Component name → container name. */
  containers: Map<string, string>;
}

const networks: string[] = [];

async function startLab(type: string, storage: string): Promise<StartedLab> {
  const template = catalog(type, storage);
  const network = `${RUN_ID}-${type}-${storage === '0' ? 'scratch' : 'volume'}`;
  await podmanOk(['network', 'create', '--label', TEST_LABEL, network]);
  networks.push(network);
  const lab = renderStudentLab({ deploymentId: 'images', studentId: 'test', template }, options);
  const containers = new Map<string, string>();
  for (const object of lab.objects) {
    if (object.kind !== 'Deployment') continue;
    const deployment = object as V1Deployment;
    const name = deployment.metadata!.name!;
    const container = `${network}-${name}`;
    await podmanOk(podmanRunArgs(deployment, network, container));
    containers.set(name, container);
  }
  return { template, containers };
}

async function hostPort(container: string, port: number): Promise<number> {
  const out = (await podmanOk(['port', container, `${port}/tcp`])).trim().split('\n')[0] ?? '';
  const published = Number(out.slice(out.lastIndexOf(':') + 1));
  if (!Number.isInteger(published) || published <= 0)
    throw new Error(`${container}: ${port} not published (${out})`);
  return published;
}

/** Connects to 127.0.0.1:port and returns the first `bytes` bytes the server sends. */
function readBanner(port: number, bytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no banner from port ${port}`));
    }, 5_000);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= bytes) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received.subarray(0, bytes).toString('latin1'));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`port ${port} closed after ${received.length} bytes`));
    });
  });
}

const tcpOpen = (port: number) =>
  new Promise<void>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', reject);
  });

async function execIn(container: string, command: string[]): Promise<Exec> {
  return podman(['exec', container, ...command]);
}

/** The lab's own checks (what publishing a version will run), each until it passes. */
async function runChecks(lab: StartedLab): Promise<void> {
  for (const check of lab.template.spec.checks as LabCheck[]) {
    const container = lab.containers.get(check.component)!;
    await eventually(async () => {
      if (check.exec) {
        const result = await execIn(container, check.exec.command);
        if (result.code !== 0)
          throw new Error(`${check.exec.command.join(' ')}: ${result.code} ${result.stderr}`);
      } else if (check.http) {
        const port = await hostPort(container, check.http.port);
        const response = await fetch(`http://127.0.0.1:${port}${check.http.path ?? '/'}`);
        await response.body?.cancel();
        if (response.status !== (check.http.status ?? 200)) throw new Error(`HTTP ${response.status}`);
      } else if (check.tcp) {
        await tcpOpen(await hostPort(container, check.tcp.port));
      }
    }, 45_000);
  }
}

async function logsOf(lab: StartedLab): Promise<string> {
  const parts: string[] = [];
  for (const [component, container] of lab.containers) {
    const result = await podman(['logs', container]);
    parts.push(`--- ${component} ---\n${result.stdout}${result.stderr}`);
  }
  return parts.join('\n');
}

/** Runs `body`; on failure the error carries the containers' logs. */
async function withLogs(lab: StartedLab, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${await logsOf(lab)}`);
  }
}

async function sweep(): Promise<void> {
  const listed = await podman(['ps', '--all', '--filter', `label=${TEST_LABEL}`, '--format', '{{.ID}}']);
  const ids = listed.stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await podman(['rm', '--force', '--time', '0', ...ids]);
  for (const network of networks.splice(0)) await podman(['network', 'rm', '--force', network]);
}

const IMAGES = ['lab-shell', 'lab-nginx', 'lab-postgres', 'lab-desktop'];

describe('lab images under the Kubernetes hardening', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    await sweep();
    const missing: string[] = [];
    for (const image of IMAGES) {
      if ((await podman(['image', 'exists', `localhost/aperture/${image}:latest`])).code !== 0)
        missing.push(image);
    }
    if (missing.length > 0)
      throw new Error(`missing images; run: scripts/build-images.sh ${missing.join(' ')}`);
  });
  afterEach(sweep);
  afterAll(sweep);

  it('every image is labelled and runs as 1000 without root', async () => {
    for (const image of IMAGES) {
      const inspect = JSON.parse(await podmanOk(['image', 'inspect', `localhost/aperture/${image}:latest`]));
      expect(inspect[0].Config.Labels['dev.aperture.image']).toBe(image);
      expect(inspect[0].Config.User).toBe('1000:1000');
    }
  });

  describe.each(['1Gi', '0'])('storage %s', (storage) => {
    it('shell: bash as 1000 with a writable home', async () => {
      const lab = await startLab('shell', storage);
      await withLogs(lab, async () => {
        const shell = lab.containers.get('shell')!;
        await runChecks(lab);
        const result = await execIn(shell, ['bash', '-lc', 'id -u; echo ok']);
        expect(result).toMatchObject({ code: 0, stdout: '1000\nok\n' });
        const tools = await execIn(shell, [
          'bash',
          '-lc',
          'cd && echo hi > notes.txt && cat notes.txt && command -v curl less nano vi ps ip nc python3 psql >/dev/null && echo tools',
        ]);
        expect(tools).toMatchObject({ code: 0, stdout: 'hi\ntools\n' });
      });
    });

    it('webserver: nginx answers 200 on 8080, from the host and from the shell as web:8080', async () => {
      const lab = await startLab('webserver', storage);
      await withLogs(lab, async () => {
        await runChecks(lab);
        const port = await hostPort(lab.containers.get('web')!, 8080);
        const response = await fetch(`http://127.0.0.1:${port}/`);
        expect(response.status).toBe(200);
        expect(await response.text()).toContain('nginx');
        const fromShell = await execIn(lab.containers.get('shell')!, [
          'curl',
          '-sS',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          'http://web:8080/',
        ]);
        expect(fromShell).toMatchObject({ code: 0, stdout: '200' });
        const logs = await podman(['logs', lab.containers.get('web')!]);
        expect(logs.stdout + logs.stderr).toContain('"GET / HTTP/1.1" 200');
      });
    });

    it('database: postgres accepts connections, inside and from the shell (PGHOST=db)', async () => {
      const lab = await startLab('database', storage);
      await withLogs(lab, async () => {
        const db = lab.containers.get('db')!;
        await runChecks(lab);
        expect((await execIn(db, ['pg_isready'])).code).toBe(0);
        const select = await execIn(db, ['psql', '-h', '127.0.0.1', '-Atc', 'select 1']);
        expect(select).toMatchObject({ code: 0, stdout: '1\n' });
        const fromShell = await eventually(async () => {
          const result = await execIn(lab.containers.get('shell')!, [
            'psql',
            '-Atc',
            'create table t (x int); insert into t values (42); select current_user, x from t',
          ]);
          if (result.code !== 0) throw new Error(result.stderr);
          return result;
        }, 15_000);
        expect(fromShell.stdout).toBe('CREATE TABLE\nINSERT 0 1\nstudent|42\n');
      });
    });

    it('desktop: the VNC port speaks RFB, and the terminal reaches the display', async () => {
      const lab = await startLab('desktop', storage);
      await withLogs(lab, async () => {
        const desktop = lab.containers.get('desktop')!;
        await runChecks(lab);
        const port = await hostPort(desktop, 5901);
        const banner = await eventually(() => readBanner(port, 12), 20_000);
        expect(banner).toMatch(/^RFB 003\.00\d\n$/);
        // x11vnc answers first; the window manager and xterm may still be starting.
        const processes = await eventually(async () => {
          const listed = await execIn(desktop, ['ps', '-eo', 'user:12,comm']);
          for (const name of ['Xvfb', 'jwm', 'xterm', 'x11vnc']) expect(listed.stdout).toContain(name);
          return listed;
        }, 20_000);
        expect(processes.stdout).not.toMatch(/^root/m);
        // What the browser terminal does: a shell that can open windows on the desktop.
        const terminal = await execIn(desktop, [
          'bash',
          '-lc',
          'id -u; echo $DISPLAY; test -w "$HOME" && echo home',
        ]);
        expect(terminal).toMatchObject({ code: 0, stdout: '1000\n:1\nhome\n' });
      });
    });
  });
});
