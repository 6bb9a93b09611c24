import { renderStudentLab } from '@aperture/backend-kubernetes';
import { catalogLabTemplate, type LabTemplate } from '@aperture/core';
import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { containerRun, LAB_HOST_ID_BASE, LAB_PIDS_LIMIT } from './container-args.ts';
import { podmanRenderOptions } from './render-options.ts';

const render = podmanRenderOptions({
  instance: 'test',
  prefix: 'lab',
  imagePrefix: 'localhost/',
  imagePullPolicy: 'Never',
});

function webserver(): LabTemplate {
  const result = catalogLabTemplate('webserver', { cpu: '1', memory: '1Gi', storage: '2Gi' });
  if (!result.ok) throw new Error('catalog');
  return result.template;
}

function runsOf(template: LabTemplate, images = {}, hostIdBase?: number) {
  const lab = renderStudentLab(
    { deploymentId: 'd', studentId: 's', template, images, versionId: 'v1' },
    render,
  );
  const deployments = lab.objects.filter((o) => o.kind === 'Deployment') as V1Deployment[];
  const claims = lab.objects.filter((o) => o.kind === 'PersistentVolumeClaim').map((o) => o.metadata!.name!);
  return deployments.map((deployment) =>
    containerRun(deployment, {
      name: `env-${deployment.metadata!.name}`,
      network: 'env',
      labels: { 'dev.aperture.managed': 'true' },
      versionId: 'v1',
      components: ['web', 'shell'],
      volumes: new Map(claims.map((claim) => [claim, `env-${claim}`])),
      ...(hostIdBase !== undefined ? { hostIdBase } : {}),
    }),
  );
}

/** The value after each occurrence of `flag`. */
const values = (args: string[], flag: string) =>
  args.flatMap((arg, i) => (arg === flag ? [args[i + 1]] : []));

describe('containerRun', () => {
  const [web, shell] = runsOf(webserver());

  it('translates the pod hardening flag by flag', () => {
    for (const run of [web!, shell!]) {
      expect(values(run.args, '--user')).toEqual(['1000:1000']);
      expect(run.args).toContain('--read-only');
      expect(run.args).toContain('--read-only-tmpfs=false');
      expect(values(run.args, '--cap-drop')).toEqual(['ALL']);
      expect(values(run.args, '--security-opt')).toEqual(['no-new-privileges']);
      expect(values(run.args, '--pids-limit')).toEqual([String(LAB_PIDS_LIMIT)]);
      expect(values(run.args, '--memory')).toEqual(values(run.args, '--memory-swap'));
      expect(values(run.args, '--pull')).toEqual(['never']);
      expect(run.args).not.toContain('--publish');
      expect(run.args).not.toContain('--privileged');
    }
  });

  it("runs the components in the labs' user namespace when asked (lab uid 1000 is not host uid 1000)", () => {
    for (const run of [web!, shell!]) expect(run.args).not.toContain('--uidmap');
    for (const run of runsOf(webserver(), {}, LAB_HOST_ID_BASE)) {
      expect(values(run.args, '--uidmap')).toEqual([`0:${LAB_HOST_ID_BASE}:65536`]);
      expect(values(run.args, '--gidmap')).toEqual([`0:${LAB_HOST_ID_BASE}:65536`]);
      expect(run.specHash).not.toBe(web!.specHash);
    }
    expect(() => runsOf(webserver(), {}, 1000)).toThrow(/not a usable uid range/);
  });

  it('names the component on the network, and splits the budget as the rendering does', () => {
    expect(values(web!.args, '--network')).toEqual(['env']);
    expect(values(web!.args, '--network-alias')).toEqual(['web']);
    const cpus = [web!, shell!].map((run) => Number(values(run.args, '--cpus')[0]));
    const memory = [web!, shell!].map((run) => Number(values(run.args, '--memory')[0]));
    expect(cpus[0]! + cpus[1]!).toBe(1);
    expect(memory[0]! + memory[1]!).toBe(2 ** 30);
  });

  it('makes scratch directories tmpfs mounts and claims the student’s volumes', () => {
    expect(values(web!.args, '--tmpfs')).toEqual([
      `/tmp:rw,exec,nosuid,nodev,size=${2 ** 30},mode=1777`,
      `/var/lib/nginx:rw,exec,nosuid,nodev,size=${2 ** 30},mode=1777`,
      `/var/log/nginx:rw,exec,nosuid,nodev,size=${2 ** 30},mode=1777`,
    ]);
    expect(values(shell!.args, '--volume')).toEqual([
      expect.stringMatching(/^env-shell-home-[0-9a-f]{10}:\/home\/student:rw,nosuid,nodev$/),
    ]);
    expect(values(shell!.args, '--env')).toContain('HOME=/home/student');
  });

  it('pins the image to its checkpointed digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const [pinned] = runsOf(webserver(), { 'aperture/lab-nginx': digest });
    expect(pinned!.args).toContain(`localhost/aperture/lab-nginx@${digest}`);
    expect(pinned!.specHash).not.toBe(web!.specHash);
  });

  it('hashes the whole run: equal for the same version, different when anything changes', () => {
    expect(runsOf(webserver())[0]!.specHash).toBe(web!.specHash);
    const changed = webserver();
    changed.spec.components[0]!.env = [{ name: 'X', value: '1' }];
    expect(runsOf(changed)[0]!.specHash).not.toBe(web!.specHash);
    expect(runsOf(changed)[1]!.specHash).toBe(shell!.specHash);
    expect(web!.args.slice(0, 4)).toEqual([
      'run',
      '--detach',
      '--label',
      `dev.aperture.lab-spec=${web!.specHash}`,
    ]);
  });

  it('refuses a mount path that would add mount options', () => {
    const lab = renderStudentLab({ deploymentId: 'd', studentId: 's', template: webserver() }, render);
    const deployment = structuredClone(lab.objects.find((o) => o.kind === 'Deployment') as V1Deployment);
    deployment.spec!.template.spec!.containers[0]!.volumeMounts![0]!.mountPath = '/x:suid,dev';
    expect(() =>
      containerRun(deployment, {
        name: 'x',
        network: 'n',
        labels: {},
        versionId: 'v',
        components: [],
        volumes: new Map(),
      }),
    ).toThrow(/not a plain absolute path/);
  });

  it('refuses a pod that would run as root', () => {
    const lab = renderStudentLab({ deploymentId: 'd', studentId: 's', template: webserver() }, render);
    const deployment = structuredClone(lab.objects.find((o) => o.kind === 'Deployment') as V1Deployment);
    deployment.spec!.template.spec!.securityContext!.runAsUser = 0;
    expect(() =>
      containerRun(deployment, {
        name: 'x',
        network: 'n',
        labels: {},
        versionId: 'v',
        components: [],
        volumes: new Map(),
      }),
    ).toThrow(/never runs as root/);
  });
});
