/**
 * `aperture doctor` end to end against the test cluster: argument parsing, the kubeconfig loader,
 * the checks, `-o json` on stdout and the exit code.
 */
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { main } from './cli.ts';

const kubeconfigPath = inject('k8sKubeconfig');
const admin = new KubeConfig();
admin.loadFromFile(kubeconfigPath);
const core = admin.makeApiClient(CoreV1Api);
const namespace = `cli-doctor-${randomBytes(3).toString('hex')}`;

let stdout: string;
let stderr: string;

beforeAll(async () => {
  await core.createNamespace({
    body: { metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } } },
  });
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

beforeEach(() => {
  stdout = '';
  stderr = '';
  process.exitCode = undefined;
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  vi.stubEnv('APERTURE_OUTPUT', undefined);
  vi.stubEnv('APERTURE_KUBECONFIG', undefined);
  vi.stubEnv('APERTURE_K8S_NAMESPACE', undefined);
  vi.stubEnv('KUBERNETES_SERVICE_HOST', undefined);
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  process.exitCode = undefined;
});

async function aperture(args: string[]): Promise<number> {
  await main(['node', 'aperture', ...args]);
  return Number(process.exitCode ?? 0);
}

describe('aperture doctor (test cluster)', () => {
  it('-o json: the report on stdout, exit 1 exactly when a check failed', async () => {
    const code = await aperture([
      'doctor',
      '--kubeconfig',
      kubeconfigPath,
      '--namespace',
      namespace,
      '-o',
      'json',
    ]);
    const report = JSON.parse(stdout);
    expect(report.namespace).toBe(namespace);
    expect(report.checks).toHaveLength(14);
    const byId = Object.fromEntries(report.checks.map((c: { id: string }) => [c.id, c]));
    expect(byId.api).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^Kubernetes v1\.34\./) });
    expect(byId.namespace.status).toBe('pass');
    expect(byId['pod-security'].status).toBe('pass');
    expect(byId.nodes.status).toBe('pass');
    // No default-deny policy in this bare namespace.
    expect(byId['network-policy-default-deny'].status).toBe('warn');
    expect(code).toBe(report.summary.fail > 0 ? 1 : 0);
    expect(stderr).toBe('');
  });

  it('text, with the namespace and kubeconfig from the environment; a missing namespace fails', async () => {
    vi.stubEnv('APERTURE_KUBECONFIG', kubeconfigPath);
    vi.stubEnv('APERTURE_K8S_NAMESPACE', `${namespace}-missing`);
    expect(await aperture(['doctor'])).toBe(1);
    expect(stdout).toMatch(/^Aperture doctor: https:\/\/127\.0\.0\.1:\d+ /);
    expect(stdout).toContain(`✖ Runs namespace`);
    expect(stdout).toContain(`namespace ${namespace}-missing does not exist`);
    expect(stdout).toMatch(/hint: kubectl apply -f deploy\/rbac\//);
    expect(stdout).toMatch(/\d+ passed, \d+ warnings?, \d+ failed\n$/);
    expect(stderr).toMatch(/^checking https:\/\/127\.0\.0\.1:\d+ \(context /);
  });

  it('a kubeconfig that does not exist: one line on stderr, exit 2', async () => {
    expect(await aperture(['doctor', '--kubeconfig', '/nonexistent/kubeconfig'])).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('error: The kubeconfig /nonexistent/kubeconfig does not exist.');
    expect(stderr).toContain('hint: pass --kubeconfig PATH');
  });

  it('an unknown context: exit 2, naming the contexts there are', async () => {
    expect(await aperture(['doctor', '--kubeconfig', kubeconfigPath, '--context', 'nope'])).toBe(2);
    expect(stderr).toMatch(/has no context "nope" \(it has: /);
  });
});
