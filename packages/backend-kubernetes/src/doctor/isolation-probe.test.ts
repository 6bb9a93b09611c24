import { describe, expect, it } from 'vitest';
import {
  isolationAdmissionPod,
  isolationProbeJob,
  judgeProbeLog,
  judgeProbePod,
  PROBE_SCRIPT,
} from './isolation-probe.ts';

const options = {
  profile: 'aperture/runner.json',
  imagePrefix: 'registry.example.edu/',
  nodeSelector: { pool: 'runners' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'runners', effect: 'NoSchedule' }],
  architectures: ['amd64'],
};

describe('the isolation probe Job', () => {
  const job = isolationProbeJob(options, 'abc123');
  const pod = job.spec!.template.spec!;
  const container = pod.containers[0]!;
  const localhost = { type: 'Localhost', localhostProfile: 'aperture/runner.json' };

  it('is a run pod’s hardening with the Localhost profile on pod and container', () => {
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: localhost,
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: localhost,
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(container.image).toBe('registry.example.edu/aperture/runner-python:latest');
  });

  it('is placed like run pods, runs once, and cleans up after itself if doctor does not', () => {
    expect(pod.nodeSelector).toEqual({ pool: 'runners', 'kubernetes.io/arch': 'amd64' });
    expect(pod.tolerations).toEqual(options.tolerations);
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      ttlSecondsAfterFinished: 60,
      activeDeadlineSeconds: 210,
    });
    expect(pod.restartPolicy).toBe('Never');
  });

  it('is never one of a server’s runs (no instance; component doctor), and is found by its id', () => {
    expect(job.metadata?.labels).toEqual({
      'dev.aperture.managed': 'true',
      'app.kubernetes.io/component': 'doctor',
      'dev.aperture.doctor-probe': 'abc123',
    });
    expect(job.spec?.template.metadata?.labels).toEqual(job.metadata?.labels);
  });

  it('runs runlimit --isolate --userns as the harness does, with a fresh /tmp', () => {
    expect(container.command).toEqual(['/bin/sh', '-c', PROBE_SCRIPT]);
    expect(PROBE_SCRIPT).toMatch(
      /runlimit --report-fd 3 .* --isolate --userns --uid 1000 --gid 1000 --fresh \/tmp:/,
    );
    expect(PROBE_SCRIPT).toMatch(/3>&1$/);
  });

  it('the dry-run pod is the same pod', () => {
    expect(isolationAdmissionPod('aperture/runner.json').spec?.securityContext?.seccompProfile).toEqual(
      localhost,
    );
  });
});

describe('judging the probe', () => {
  const report = (exitCode: number) =>
    JSON.stringify({
      exitCode,
      signal: null,
      cpuMs: 3,
      wallMs: 9,
      maxRssKb: 1,
      wallTimedOut: false,
      isolated: true,
    });

  it('passes when runlimit reports exit 0 and the program wrote to its tmpfs and saw its hostname', () => {
    expect(judgeProbeLog(`{"pid":6}\naperture-isolation-probe\nsandbox\n${report(0)}\n`)).toEqual({
      ok: true,
    });
  });

  it('fails with runlimit’s error, a missing report, or a program that did not do its part', () => {
    expect(judgeProbeLog('{"error":"fork failed: Operation not permitted"}\n')).toEqual({
      ok: false,
      message: 'runlimit: fork failed: Operation not permitted',
    });
    expect(judgeProbeLog('usage: runlimit --cpu-ms N --wall-ms N\n')).toMatchObject({
      ok: false,
      message: expect.stringContaining('no runlimit report in the probe’s output: usage: runlimit'),
    });
    expect(
      judgeProbeLog(`{"pid":6}\nsh: 1: cannot create /tmp/probe: Read-only file system\n${report(2)}\n`),
    ).toMatchObject({
      ok: false,
      message: expect.stringContaining('exit 2'),
    });
  });

  it('reads the pod: waiting, unschedulable, stuck (a missing profile), or done', () => {
    expect(judgeProbePod(undefined)).toMatchObject({ kind: 'waiting' });
    expect(
      judgeProbePod({
        status: {
          conditions: [{ type: 'PodScheduled', status: 'False', message: '0/3 nodes are available' }],
        },
      }),
    ).toEqual({ kind: 'waiting', why: 'not scheduled: 0/3 nodes are available' });
    expect(
      judgeProbePod({
        spec: { nodeName: 'n1', containers: [] },
        status: {
          containerStatuses: [
            {
              name: 'probe',
              image: 'x',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: {
                waiting: {
                  reason: 'CreateContainerError',
                  message: 'failed to generate seccomp spec opts: cannot load seccomp profile',
                },
              },
            },
          ],
        },
      }),
    ).toEqual({
      kind: 'failed',
      result: {
        ok: false,
        stage: 'started',
        node: 'n1',
        reason: 'CreateContainerError',
        message: 'CreateContainerError: failed to generate seccomp spec opts: cannot load seccomp profile',
      },
    });
    expect(
      judgeProbePod({
        spec: { nodeName: 'n1', containers: [] },
        status: {
          containerStatuses: [
            {
              name: 'probe',
              image: 'x',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { terminated: { exitCode: 0 } },
            },
          ],
        },
      }),
    ).toEqual({ kind: 'terminated', node: 'n1', exitCode: 0 });
  });
});
