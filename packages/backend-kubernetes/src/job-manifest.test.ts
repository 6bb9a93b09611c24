import { describe, expect, it } from 'vitest';
import { jobNameFor, labelValue, type RunPodOptions, renderJobSecret, renderRunJob } from './job-manifest.ts';

const options: RunPodOptions = {
  namespace: 'aperture-runs',
  instance: 'default',
  imagePrefix: 'registry.example.edu/',
  imagePullPolicy: 'IfNotPresent',
  priorityClassName: 'aperture-runs',
  runtimeClassName: undefined,
  imageArchitectures: { 'aperture/runner-java': ['amd64', 'arm64'] },
  defaultArchitectures: ['amd64'],
  nodeSelector: {},
  tolerations: [],
  ttlSecondsAfterFinished: 300,
};

const input = {
  runId: 'run_01JABCDEF',
  attempt: 2,
  sandbox: {
    image: 'aperture/runner-python',
    memoryBytes: 352 * 1024 * 1024,
    pids: 96,
    cpus: 1,
    network: false,
    workDirBytes: 64 * 1024 * 1024,
    deadlineMs: 45_000,
  },
  sealedJob: 'aperture-sealed-v1.a.b.c',
  jobKey: 'k'.repeat(43),
  now: new Date('2026-12-01T10:00:00Z'),
};

describe('run Job manifest', () => {
  const job = renderRunJob(options, input);
  const pod = job.spec!.template.spec!;
  const container = pod.containers[0]!;

  it('is the hardened pod: non-root, read-only, no capabilities, seccomp, no token', () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.priorityClassName).toBe('aperture-runs');
  });

  it('requests what it limits, runs once, has a deadline and a TTL', () => {
    expect(container.resources).toEqual({
      requests: { cpu: '1', memory: String(352 * 1024 * 1024) },
      limits: { cpu: '1', memory: String(352 * 1024 * 1024) },
    });
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 105,
      ttlSecondsAfterFinished: 300,
    });
    expect(job.metadata?.annotations?.['dev.aperture.deadline']).toBe('2026-12-01T10:02:45.000Z');
  });

  it('labels the Job and pod with the run, attempt and instance', () => {
    expect(job.metadata?.labels).toMatchObject({
      'dev.aperture.managed': 'true',
      'dev.aperture.run': 'run_01JABCDEF',
      'dev.aperture.attempt': '2',
      'dev.aperture.instance': 'default',
    });
    expect(job.spec?.template.metadata?.labels).toMatchObject(job.metadata!.labels!);
    expect(job.spec?.template.metadata?.labels?.['dev.aperture.network']).toBeUndefined();
    const networked = renderRunJob(options, { ...input, sandbox: { ...input.sandbox, network: true } });
    expect(networked.spec?.template.metadata?.labels?.['dev.aperture.network']).toBe('true');
  });

  it('mounts the job from the Secret, read-only, and gives the key only in the environment', () => {
    expect(container.env).toEqual([
      { name: 'APERTURE_JOB_FILE', value: '/var/run/aperture/job' },
      { name: 'APERTURE_JOB_KEY', value: input.jobKey },
    ]);
    expect(pod.volumes?.find((v) => v.name === 'job')?.secret?.secretName).toBe(job.metadata?.name);
    expect(container.volumeMounts?.find((m) => m.name === 'job')).toMatchObject({ readOnly: true });
    for (const dir of ['work', 'tmp', 'autograder'])
      expect(pod.volumes?.find((v) => v.name === dir)?.emptyDir?.medium).toBe('Memory');
  });

  it('places pods by the image architecture and extra selectors', () => {
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/arch': 'amd64' });
    expect(pod.affinity).toBeUndefined();
    const java = renderRunJob(
      { ...options, nodeSelector: { pool: 'runners' }, runtimeClassName: 'gvisor' },
      { ...input, sandbox: { ...input.sandbox, image: 'aperture/runner-java' } },
    ).spec!.template.spec!;
    expect(java.nodeSelector).toEqual({ pool: 'runners' });
    expect(java.runtimeClassName).toBe('gvisor');
    expect(
      java.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]
        ?.matchExpressions?.[0],
    ).toEqual({ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] });
    expect(container.image).toBe('registry.example.edu/aperture/runner-python:latest');
  });

  it('without a run seccomp profile: RuntimeDefault and the plain harness, as before ADR 0006', () => {
    expect(options.runSeccompProfile).toBeUndefined();
    expect(pod.securityContext?.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(container.securityContext?.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(container.env?.map((e) => e.name)).not.toContain('APERTURE_ISOLATE');
    expect(renderRunJob({ ...options, runSeccompProfile: '' }, input)).toEqual(job);
  });

  it('with a run seccomp profile: Localhost on pod and container, and the harness isolates', () => {
    const isolated = renderRunJob({ ...options, runSeccompProfile: 'aperture/runner.json' }, input);
    const spec = isolated.spec!.template.spec!;
    const sandbox = spec.containers[0]!;
    const localhost = { type: 'Localhost', localhostProfile: 'aperture/runner.json' };
    expect(spec.securityContext).toEqual({ ...pod.securityContext, seccompProfile: localhost });
    // The container's profile would win over the pod's: it must name the same one.
    expect(sandbox.securityContext).toEqual({ ...container.securityContext, seccompProfile: localhost });
    expect(sandbox.env).toEqual([...container.env!, { name: 'APERTURE_ISOLATE', value: 'userns' }]);
    // Nothing else of the pod changes: still no capability, no escalation, non-root.
    const strip = (j: typeof job) => {
      const copy = structuredClone(j);
      const s = copy.spec!.template.spec!;
      delete s.securityContext!.seccompProfile;
      delete s.containers[0]!.securityContext!.seccompProfile;
      s.containers[0]!.env = s.containers[0]!.env!.filter((e) => e.name !== 'APERTURE_ISOLATE');
      return copy;
    };
    expect(strip(isolated)).toEqual(strip(job));
  });

  it('has a Secret owned by the Job', () => {
    const secret = renderJobSecret(options, input, { name: job.metadata!.name!, uid: 'uid-1' });
    expect(secret.metadata?.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata!.name!, uid: 'uid-1', controller: false },
    ]);
    expect(secret.stringData).toEqual({ job: input.sealedJob });
    expect(secret.immutable).toBe(true);
  });
});

describe('names', () => {
  it('are valid DNS labels, unique per run id and attempt', () => {
    const names = [
      jobNameFor('run_01JABCDEF', 1),
      jobNameFor('run_01JABCDEF', 2),
      jobNameFor('run_01jabcdef', 1),
      jobNameFor('RUN-01JABCDEF', 1),
      jobNameFor(`run_${'x'.repeat(200)}`, 3),
      jobNameFor('___', 1),
    ];
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
  });

  it('label values fit the label syntax', () => {
    expect(labelValue('run_01J')).toBe('run_01J');
    expect(labelValue(`-${'a'.repeat(100)}`)).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,61}[A-Za-z0-9]$/);
  });
});
