/**
 * The backend with exactly the permissions of deploy/rbac/ (a ServiceAccount token, not the
 * admin): it works; and with one permission taken away it fails with a message naming it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { file, requestFor, runOf } from '@aperture/backend-contract';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from './kube-config.ts';
import { permissionOf } from './permissions.ts';
import { adminKubeConfig, createExecutor, hasRealNode, leftovers, placement } from './testing/cluster.ts';
import { applyRbac, type RbacFixture } from './testing/rbac-fixture.ts';

const admin = adminKubeConfig();
const suffix = randomBytes(3).toString('hex');
const instance = `rbac-${suffix}`;
let fixture: RbacFixture;
let asAperture: KubeConfig;
const where = placement(hasRealNode() ? 'real' : 'nowhere');

beforeAll(async () => {
  fixture = await applyRbac(admin, suffix);
  asAperture = await fixture.tokenKubeConfig();
});
afterAll(async () => fixture?.cleanup());

// In order: each test takes one more permission away.
describe.sequential("the backend as deploy/rbac/'s ServiceAccount", () => {
  it('has every permission it needs and runs code', async () => {
    const executor = await createExecutor(asAperture, fixture.runsNamespace, instance, {
      ...where,
      priorityClassName: 'aperture-runs',
    });
    try {
      const health = await executor.health();
      expect(health.ok, JSON.stringify(health.details)).toBe(true);
      expect(health.details['missingPermissions']).toBeUndefined();
      expect((await executor.sweep(new Set())).removed).toBe(0);
      const controller = new AbortController();
      const request = requestFor(
        runOf({ language: 'python', files: [file('main.py', 'print("hi")')] }),
        controller.signal,
      );
      if (hasRealNode()) {
        const outcome = await executor.execute(request);
        expect(outcome.kind === 'result' && outcome.result.execution?.stdout).toBe('hi\n');
      } else {
        // No real node: the pod is created (admission and RBAC pass) and the run is cancelled.
        const pending = executor.execute(request);
        setTimeout(() => controller.abort(), 1000);
        expect((await pending).kind).toBe('cancelled');
      }
      expect(await leftovers(admin, fixture.runsNamespace, instance)).toEqual([]);
    } finally {
      await executor.close();
    }
  });

  it('in-cluster: the same account from the files a pod gets (token, CA) and KUBERNETES_SERVICE_*', async () => {
    const root = await mkdtemp(join(tmpdir(), 'aperture-sa-'));
    const dir = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    await mkdir(dir, { recursive: true });
    const cluster = asAperture.getCurrentCluster()!;
    await writeFile(join(dir, 'token'), asAperture.getCurrentUser()!.token!);
    await writeFile(
      join(dir, 'ca.crt'),
      cluster.caData ? Buffer.from(cluster.caData, 'base64') : await readFile(cluster.caFile!),
    );
    await writeFile(join(dir, 'namespace'), fixture.platformNamespace);
    const server = new URL(cluster.server);
    const env = { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port };
    const saved = { ...process.env };
    Object.assign(process.env, env); // client-node reads these from process.env itself
    try {
      const inCluster = loadKubeConfig({ serviceAccountRoot: root }, env);
      expect(inCluster.getCurrentCluster()?.server).toBe(`https://${server.hostname}:${server.port}`);
      const executor = await createExecutor(inCluster, fixture.runsNamespace, instance, where);
      try {
        const health = await executor.health();
        expect(health.ok, JSON.stringify(health.details)).toBe(true);
      } finally {
        await executor.close();
      }
    } finally {
      process.env = saved;
      await rm(root, { recursive: true, force: true });
    }
  });

  it('without `create jobs.batch`: health names it, and a run fails at once (not retried) naming it', async () => {
    await fixture.removeRule(permissionOf('create', 'jobs'));
    const executor = await createExecutor(asAperture, fixture.runsNamespace, instance, where);
    try {
      const health = await executor.health();
      expect(health.ok).toBe(false);
      expect(health.details['missingPermissions']).toEqual(['create jobs.batch']);
      const outcome = await executor.execute(
        requestFor(runOf({ language: 'python', files: [file('main.py', 'print(1)')] })),
      );
      expect(outcome).toMatchObject({ kind: 'infrastructure', retryable: false });
      expect(outcome.kind === 'infrastructure' && outcome.reason).toMatch(
        new RegExp(`may not create jobs\\.batch in namespace ${fixture.runsNamespace}.*deploy/rbac/`),
      );
    } finally {
      await executor.close();
    }
  });

  it('without `watch pods`: the backend does not start, and says which permissions are missing', async () => {
    await fixture.removeRule(permissionOf('watch', 'pods'));
    await expect(createExecutor(asAperture, fixture.runsNamespace, instance, where)).rejects.toThrow(
      /lacks permissions it needs in namespace \S+: create jobs\.batch; watch pods\. Apply deploy\/rbac\//,
    );
  });
});
