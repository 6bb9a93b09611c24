/**
 * End to end on the test cluster: `aperture server --backend kubernetes` as a real process, a
 * student submits with `aperture submit`, and the submission runs as a Job — on the real node
 * (Tier B) it is graded for real; on kwok only the server's start and health are shown.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { throwAwayRunsNamespace } from '@aperture/backend-kubernetes/testing/namespaces';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const BIN = resolve(import.meta.dirname, '../bin/aperture.js');
const BOOTSTRAP_TOKEN = `k8s-e2e-bootstrap-${randomBytes(8).toString('hex')}`;
const kubeconfig = inject('k8sKubeconfig');
const realNode = inject('k8sRealNode');

const admin = new KubeConfig();
admin.loadFromFile(kubeconfig);
const runs = throwAwayRunsNamespace(admin, 'e2e-runs');
const namespace = runs.name;

let dir: string;
let server: ChildProcess;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aperture-k8s-e2e-'));
  await runs.create();
  const placement = realNode
    ? [
        '--k8s-node-selector',
        'aperture.dev/node-kind=real',
        '--k8s-tolerations',
        'aperture.dev/real-node=true:NoSchedule',
      ]
    : ['--k8s-node-selector', 'type=kwok'];
  server = spawn(
    process.execPath,
    [
      BIN,
      'server',
      '--backend',
      'kubernetes',
      '--kubeconfig',
      kubeconfig,
      '--k8s-namespace',
      namespace,
      '--k8s-image-pull-policy',
      'Never',
      '--k8s-priority-class',
      'none',
      ...placement,
      '--port',
      '0',
      '--data-dir',
      join(dir, 'data'),
      '--demo',
      '--bootstrap-token',
      BOOTSTRAP_TOKEN,
      '--instance',
      `e2e-${randomBytes(3).toString('hex')}`,
      '--log-level',
      'warn',
      '-o',
      'json',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir } },
  );
  let stderr = '';
  server.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  // `-o json` prints the summary as one (pretty-printed) JSON document: its "url" is enough.
  url = await new Promise<string>((done, fail) => {
    let out = '';
    server.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /"url":\s*"([^"]+)"/.exec(out);
      if (match) done(match[1]!);
    });
    server.on('exit', (code) => fail(new Error(`aperture server exited with ${code}: ${stderr}`)));
  });
}, 120_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  await runs.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function cli(
  args: string[],
  token = BOOTSTRAP_TOKEN,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: dir,
        env: { PATH: process.env['PATH'] ?? '', HOME: dir, APERTURE_SERVER: url, APERTURE_TOKEN: token },
      },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function studentToken(): Promise<string> {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'student', password: 'aperture-demo' }),
  });
  const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? '';
  const created = await fetch(`${url}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'k8s-e2e' }),
  });
  return ((await created.json()) as { token: string }).token;
}

describe('aperture server --backend kubernetes', () => {
  it('reports the kubernetes backend healthy on the system page', async () => {
    const response = await fetch(`${url}/api/v1/system`, {
      headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}` },
    });
    const system = (await response.json()) as {
      backend: { ok: boolean; backend: string; details: Record<string, unknown> };
    };
    expect(system.backend).toMatchObject({ ok: true, backend: 'kubernetes' });
    expect(system.backend.details['namespace']).toBe(namespace);
  });

  it.runIf(realNode)(
    'grades a student’s C submission in a Job, hidden tests included',
    async () => {
      await writeFile(
        join(dir, 'sum.c'),
        '#include <stdio.h>\nint main(){long long a,b;scanf("%lld %lld",&a,&b);printf("%lld\\n",a+b);}\n',
      );
      const result = await cli(
        ['submit', 'DEMO101/sum', 'sum.c', '--language', 'c', '-o', 'json'],
        await studentToken(),
      );
      expect(result.code, result.stderr).toBe(0);
      const run = JSON.parse(result.stdout) as {
        status: string;
        verdict: string;
        score: number;
        maxScore: number;
      };
      expect(run).toMatchObject({ status: 'completed', verdict: 'accepted' });
      expect(run.score).toBe(run.maxScore);
    },
    120_000,
  );
});
