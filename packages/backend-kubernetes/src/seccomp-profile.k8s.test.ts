/**
 * deploy/seccomp/ against the real node's own containerd (Tier B): the profile a RuntimeDefault pod
 * gets there, read from its OCI bundle, is the installed Localhost profile without its additions
 * (and with containerd's masked clone rule). The unit test checks the files against containerd's
 * source; this checks them against the runtime that really runs the pods.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { CoreV1Api, type V1SeccompProfile } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminKubeConfig, createRunsNamespace, eventually, hasRealNode } from './testing/cluster.ts';

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const clusterDir = dirname(inject('k8sKubeconfig'));
const ADDED = ['clone', 'mount', 'pivot_root', 'setdomainname', 'sethostname', 'umount2', 'unshare'];
const PROFILE = arch() === 'arm64' ? 'aperture-runner.arm64.json' : 'aperture-runner.json';

interface Rule {
  names: string[];
  action: string;
  args?: unknown[];
}
interface Seccomp {
  defaultAction: string;
  architectures: string[];
  syscalls: Rule[];
}

// The bundle lives in the cluster's own containerd state dir (test/cluster/real-node.sh).
const stateDir = join(clusterDir, 'containerd', 'state', 'io.containerd.runtime.v2.task', 'k8s.io');

// Only the real node decides: the state dir exists once a pod ran there, which is checked in the test
// (a wrong path must fail, not skip the suite).
describe.runIf(hasRealNode())('deploy/seccomp on the real node’s containerd', () => {
  let namespace: { name: string; remove: () => Promise<void> };
  beforeAll(async () => {
    namespace = await createRunsNamespace(admin, 'seccomp');
  });
  afterAll(async () => namespace?.remove());

  async function bundleSeccomp(seccompProfile: V1SeccompProfile) {
    const name = `seccomp-${randomBytes(3).toString('hex')}`;
    await core.createNamespacedPod({
      namespace: namespace.name,
      body: {
        metadata: { name },
        spec: {
          nodeSelector: { 'aperture.dev/node-kind': 'real' },
          tolerations: [
            { key: 'aperture.dev/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' },
          ],
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: 0,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile },
          containers: [
            {
              name: 'c',
              image: 'localhost/aperture/runner-python:latest',
              imagePullPolicy: 'Never',
              command: ['sleep', '60'],
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    });
    const id = await eventually(`pod ${name} running`, async () => {
      const pod = await core.readNamespacedPod({ name, namespace: namespace.name });
      const status = pod.status?.containerStatuses?.[0];
      return status?.state?.running ? status.containerID?.replace(/^containerd:\/\//, '') : undefined;
    });
    expect(existsSync(stateDir), stateDir).toBe(true);
    const config = JSON.parse(readFileSync(join(stateDir, id ?? '', 'config.json'), 'utf8'));
    await core.deleteNamespacedPod({ name, namespace: namespace.name, gracePeriodSeconds: 0 });
    return config.linux.seccomp as Seccomp;
  }

  it('RuntimeDefault here is the profile without its additions; Localhost is the file as is', async () => {
    const file = JSON.parse(
      readFileSync(new URL(`../../../deploy/seccomp/${PROFILE}`, import.meta.url), 'utf8'),
    ) as Seccomp;
    const runtimeDefault = await bundleSeccomp({ type: 'RuntimeDefault' });
    const localhost = await bundleSeccomp({ type: 'Localhost', localhostProfile: 'aperture/runner.json' });
    expect(localhost).toEqual(file);

    const maskedClone = runtimeDefault.syscalls.filter((r) => r.names.includes('clone'));
    // CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP must all be clear.
    expect(maskedClone).toEqual([
      {
        names: ['clone'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }],
      },
    ]);
    expect({
      ...runtimeDefault,
      syscalls: runtimeDefault.syscalls.filter((r) => !r.names.includes('clone')),
    }).toEqual({ ...file, syscalls: file.syscalls.filter((r) => r.names.join() !== ADDED.join()) });
  });
});
