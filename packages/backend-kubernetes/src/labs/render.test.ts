import { catalogLabTemplate, type LabTemplate, ValidationError } from '@aperture/core';
import type {
  V1Deployment,
  V1LimitRange,
  V1Namespace,
  V1NetworkPolicy,
  V1PersistentVolumeClaim,
  V1ResourceQuota,
  V1Service,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DNS_PEER } from './network-policies.ts';
import { type LabObject, type LabRenderOptions, renderStudentLab } from './render.ts';

const options: LabRenderOptions = {
  namespacePrefix: 'lab',
  instance: 'test',
  proxy: {
    namespaceLabels: { 'kubernetes.io/metadata.name': 'aperture' },
    podLabels: { 'app.kubernetes.io/name': 'aperture' },
  },
  dns: DEFAULT_DNS_PEER,
  internetEgress: true,
  extraBlockedCidrs: [],
  imagePrefix: 'registry.example.edu/',
  imagePullPolicy: 'IfNotPresent',
  storageClassName: undefined,
  priorityClassName: undefined,
  runtimeClassName: undefined,
  nodeSelector: {},
  tolerations: [],
};

function catalog(type: string, budget = { cpu: '1', memory: '1Gi', storage: '2Gi' }): LabTemplate {
  const result = catalogLabTemplate(type, budget);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.template;
}

const render = (template = catalog('webserver'), extra: Partial<LabRenderOptions> = {}) =>
  renderStudentLab({ deploymentId: 'dep-1', studentId: 'alice', template }, { ...options, ...extra });

function ofKind<T extends LabObject>(objects: LabObject[], kind: string): T[] {
  return objects.filter((object) => object.kind === kind) as T[];
}

function only<T extends LabObject>(objects: LabObject[], kind: string, name?: string): T {
  const found = ofKind<T>(objects, kind).filter(
    (object) => name === undefined || object.metadata?.name === name,
  );
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0]!;
}

/** Whether an IPv4 CIDR contains an address. */
function cidrContains(cidr: string, address: string): boolean {
  const toNumber = (ip: string) => ip.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
  const [base = '', bits = '0'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(toNumber(base) / size) * size;
  return toNumber(address) >= start && toNumber(address) < start + size;
}

describe('renderStudentLab', () => {
  it('returns the objects in apply order: namespace, budget, network, storage, services, workloads', () => {
    const { namespace, objects } = render();
    expect(objects.map((object) => `${object.kind}/${object.metadata?.name}`)).toEqual([
      `Namespace/${namespace}`,
      'ResourceQuota/lab-budget',
      'LimitRange/lab-limits',
      'NetworkPolicy/lab-isolation',
      `PersistentVolumeClaim/${ofKind(objects, 'PersistentVolumeClaim')[0]?.metadata?.name}`,
      'Service/web',
      'Deployment/web',
      'Deployment/shell',
    ]);
  });

  it('is deterministic, and gives every student of every deployment a namespace of their own', () => {
    expect(render()).toEqual(render());
    const template = catalog('webserver');
    const names = [
      ['dep-1', 'alice'],
      ['dep-1', 'bob'],
      ['dep-2', 'alice'],
    ].map(
      ([deploymentId = '', studentId = '']) =>
        renderStudentLab({ deploymentId, studentId, template }, options).namespace,
    );
    expect(new Set(names).size).toBe(3);
  });

  it('labels everything, and puts everything but the namespace in it', () => {
    const { namespace, objects } = render();
    for (const object of objects) {
      expect(object.metadata?.labels).toMatchObject({
        'dev.aperture.managed': 'true',
        'dev.aperture.lab': 'webserver',
        'dev.aperture.student': 'alice',
        'dev.aperture.deployment': 'dep-1',
        'dev.aperture.instance': 'test',
      });
      expect(object.metadata?.name?.length).toBeLessThanOrEqual(63);
      if (object.kind !== 'Namespace') expect(object.metadata?.namespace).toBe(namespace);
    }
  });

  it('enforces PodSecurity restricted on the namespace and records the exact ids', () => {
    const template = catalog('shell');
    const { objects } = renderStudentLab(
      { deploymentId: 'Dep 1', studentId: 'Alice@Example.edu', template, versionId: 'sha256:abc' },
      options,
    );
    const namespace = only<V1Namespace>(objects, 'Namespace');
    expect(namespace.metadata?.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'dev.aperture.student': 'Alice_Example.edu',
    });
    expect(namespace.metadata?.annotations).toEqual({
      'dev.aperture.deployment-id': 'Dep 1',
      'dev.aperture.student-id': 'Alice@Example.edu',
      'dev.aperture.lab-version': 'sha256:abc',
    });
  });

  it('sets the quota to the budget, one pod per component, and no node ports or load balancers', () => {
    const quota = only<V1ResourceQuota>(render().objects, 'ResourceQuota');
    expect(quota.spec?.hard).toEqual({
      'requests.cpu': '1',
      'limits.cpu': '1',
      'requests.memory': '1Gi',
      'limits.memory': '1Gi',
      'requests.storage': '2Gi',
      persistentvolumeclaims: '1',
      pods: '2',
      services: '1',
      'services.nodeports': '0',
      'services.loadbalancers': '0',
    });
  });

  it('caps any one container at the budget and gives strays small defaults', () => {
    const limits = only<V1LimitRange>(render().objects, 'LimitRange').spec?.limits;
    expect(limits).toEqual([
      {
        type: 'Container',
        max: { cpu: '1', memory: '1Gi' },
        _default: { cpu: '100m', memory: '128Mi' },
        defaultRequest: { cpu: '100m', memory: '128Mi' },
      },
      { type: 'PersistentVolumeClaim', max: { storage: '2Gi' } },
    ]);
    const tiny = catalog('shell', { cpu: '50m', memory: '64Mi', storage: '0' });
    expect(only<V1LimitRange>(render(tiny).objects, 'LimitRange').spec?.limits).toEqual([
      {
        type: 'Container',
        max: { cpu: '50m', memory: '64Mi' },
        _default: { cpu: '50m', memory: '64Mi' },
        defaultRequest: { cpu: '50m', memory: '64Mi' },
      },
    ]);
  });

  describe('network policy (one: lab-isolation)', () => {
    const policies = ofKind<V1NetworkPolicy>(render().objects, 'NetworkPolicy');
    const spec = policies[0]?.spec;
    const internet = (policy: V1NetworkPolicy | undefined) =>
      policy?.spec?.egress?.find((rule) => rule.to?.some((peer) => peer.ipBlock))?.to?.[0]?.ipBlock;

    it('one policy selecting every pod for both directions: the default deny', () => {
      expect(policies.map((policy) => policy.metadata?.name)).toEqual(['lab-isolation']);
      expect(spec?.podSelector).toEqual({});
      expect(spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    });

    it('in: the namespace itself, and Aperture (namespace AND pod selector in one peer)', () => {
      expect(spec?.ingress).toEqual([
        {
          _from: [
            { podSelector: {} },
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'aperture' } },
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'aperture' } },
            },
          ],
        },
      ]);
    });

    it('out: the namespace itself, DNS in kube-system on port 53, the internet', () => {
      expect(spec?.egress?.slice(0, 2)).toEqual([
        { to: [{ podSelector: {} }] },
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ]);
      expect(spec?.egress).toHaveLength(3);
    });

    it('the internet but not private ranges or the metadata address', () => {
      const block = internet(policies[0]);
      expect(block?.cidr).toBe('0.0.0.0/0');
      const blocked = (address: string) => (block?.except ?? []).some((cidr) => cidrContains(cidr, address));
      for (const address of [
        '10.96.0.1',
        '10.244.3.7',
        '172.16.0.1',
        '172.31.255.254',
        '192.168.1.1',
        '169.254.169.254',
        '100.64.0.1',
      ]) {
        expect(blocked(address), address).toBe(true);
      }
      for (const address of ['1.1.1.1', '172.32.0.1', '8.8.8.8'])
        expect(blocked(address), address).toBe(false);
    });

    it('never open egress to another namespace: only DNS names one; no port is open beyond 53 to it', () => {
      const egressPeers = (spec?.egress ?? []).flatMap((rule) => rule.to ?? []);
      const namespacePeers = egressPeers.filter((peer) => peer.namespaceSelector);
      expect(namespacePeers).toEqual([spec?.egress?.[1]?.to?.[0]]);
      // A rule without `to` would allow every destination.
      for (const rule of spec?.egress ?? []) expect(rule.to?.length).toBeGreaterThan(0);
      for (const rule of spec?.ingress ?? []) expect(rule._from?.length).toBeGreaterThan(0);
    });

    it('leave out the internet when asked, and block extra ranges', () => {
      const closed = ofKind<V1NetworkPolicy>(
        render(undefined, { internetEgress: false }).objects,
        'NetworkPolicy',
      );
      expect(closed).toHaveLength(1);
      expect(internet(closed[0])).toBeUndefined();
      expect(closed[0]?.spec?.egress).toHaveLength(2);
      const extra = ofKind<V1NetworkPolicy>(
        render(undefined, { extraBlockedCidrs: ['203.0.113.0/24'] }).objects,
        'NetworkPolicy',
      );
      expect(internet(extra[0])?.except).toContain('203.0.113.0/24');
    });
  });

  describe('workloads', () => {
    it('run one hardened replica per component, requests = limits from the budget', () => {
      const web = only<V1Deployment>(render().objects, 'Deployment', 'web');
      expect(web.spec).toMatchObject({
        replicas: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { 'dev.aperture.lab-component': 'web' } },
      });
      const pod = web.spec?.template.spec;
      expect(pod).toMatchObject({
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 1000,
          runAsGroup: 1000,
          fsGroup: 1000,
          seccompProfile: { type: 'RuntimeDefault' },
        },
      });
      const [container] = pod?.containers ?? [];
      expect(container?.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container?.resources).toEqual({
        requests: { cpu: '500m', memory: '512Mi' },
        limits: { cpu: '500m', memory: '512Mi' },
      });
      expect(web.spec?.template.metadata?.labels).toMatchObject({ 'dev.aperture.lab-component': 'web' });
    });

    it('give /tmp and the writable paths scratch directories, and volumes their claims', () => {
      const { objects } = render();
      const web = only<V1Deployment>(objects, 'Deployment', 'web').spec?.template.spec;
      expect(web?.containers[0]?.volumeMounts).toEqual([
        { name: 'tmp', mountPath: '/tmp' },
        { name: 'scratch-1', mountPath: '/var/lib/nginx' },
        { name: 'scratch-2', mountPath: '/var/log/nginx' },
      ]);
      expect(web?.volumes?.every((volume) => volume.emptyDir?.sizeLimit === '1Gi')).toBe(true);

      const shell = only<V1Deployment>(objects, 'Deployment', 'shell').spec?.template.spec;
      const claim = only<V1PersistentVolumeClaim>(objects, 'PersistentVolumeClaim');
      expect(shell?.containers[0]?.volumeMounts).toContainEqual({
        name: 'volume-0',
        mountPath: '/home/student',
      });
      expect(shell?.volumes).toContainEqual({
        name: 'volume-0',
        persistentVolumeClaim: { claimName: claim.metadata?.name },
      });
      expect(claim.spec).toEqual({
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '2Gi' } },
      });
      const classed = render(undefined, { storageClassName: 'local-path' });
      expect(
        only<V1PersistentVolumeClaim>(classed.objects, 'PersistentVolumeClaim').spec?.storageClassName,
      ).toBe('local-path');
    });

    it('expose ports, and the VNC port, through a Service named after the component', () => {
      const web = only<V1Service>(render().objects, 'Service', 'web');
      expect(web.spec).toEqual({
        type: 'ClusterIP',
        selector: { 'dev.aperture.lab-component': 'web' },
        ports: [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }],
      });
      const desktop = only<V1Service>(render(catalog('desktop')).objects, 'Service', 'desktop');
      expect(desktop.spec?.ports).toEqual([{ name: 'vnc', port: 5901, targetPort: 'vnc', protocol: 'TCP' }]);
    });

    it("prefix Aperture's images with the registry and pin checkpointed images to their digest", () => {
      const template = catalog('webserver');
      template.spec.components[1]!.image = 'docker.io/library/debian:12';
      const digest = `sha256:${'a'.repeat(64)}`;
      const { objects } = renderStudentLab(
        { deploymentId: 'd', studentId: 's', template, images: { 'aperture/lab-nginx': digest } },
        options,
      );
      const image = (name: string) =>
        only<V1Deployment>(objects, 'Deployment', name).spec?.template.spec?.containers[0]?.image;
      expect(image('web')).toBe(`registry.example.edu/aperture/lab-nginx@${digest}`);
      expect(image('shell')).toBe('docker.io/library/debian:12');
    });

    it('pass placement, priority and runtime class, uid and the command through', () => {
      const template = catalog('shell');
      Object.assign(template.spec.components[0]!, {
        runAsUser: 2000,
        command: ['/bin/sleep'],
        args: ['infinity'],
      });
      const { objects } = render(template, {
        priorityClassName: 'aperture-labs',
        runtimeClassName: 'gvisor',
        nodeSelector: { pool: 'labs' },
        tolerations: [{ key: 'labs', operator: 'Exists', effect: 'NoSchedule' }],
      });
      const pod = only<V1Deployment>(objects, 'Deployment', 'shell').spec?.template.spec;
      expect(pod).toMatchObject({
        priorityClassName: 'aperture-labs',
        runtimeClassName: 'gvisor',
        nodeSelector: { pool: 'labs' },
        tolerations: [{ key: 'labs', operator: 'Exists', effect: 'NoSchedule' }],
        securityContext: { runAsUser: 2000, runAsGroup: 2000, fsGroup: 2000 },
      });
      expect(pod?.containers[0]).toMatchObject({ command: ['/bin/sleep'], args: ['infinity'] });
    });
  });

  it('refuses templates that do not pass the checks, and VM components', () => {
    const tooSmall = catalog('webserver');
    tooSmall.spec.resources.cpu = '15m';
    expect(() => render(tooSmall)).toThrow(ValidationError);

    const vm = catalog('shell');
    vm.spec.components.push({ name: 'win', kind: 'vm', image: 'quay.io/containerdisks/fedora' });
    try {
      render(vm);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details).toEqual({
        errors: [{ path: 'spec.components[1].kind', message: 'kind: vm is not supported on Kubernetes yet' }],
      });
    }
  });
});
