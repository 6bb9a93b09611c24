import { unanswered } from './evaluate-common.ts';
import type { RunIsolationFacts } from './facts.ts';
import type { Probe } from './failures.ts';
import { check, type DoctorCheck } from './report.ts';

/** The isolated engine of run pods (ADR 0006): configured, admitted, and (opt-in) working on a node. */

const install = (profile = 'aperture/runner.json') =>
  'install deploy/seccomp/aperture-runner.json (aperture-runner.arm64.json on arm64) on every runner node ' +
  `as <kubelet root-dir>/seccomp/${profile}, by default /var/lib/kubelet/seccomp/${profile} ` +
  '(deploy/seccomp/README.md)';

const probeHint = (profile: string) =>
  `aperture doctor --run-seccomp-profile ${profile} --probe-isolation (with the server's --image-prefix, ` +
  'node selector and tolerations) starts one probe Job in the runs namespace that tries it, and deletes it';

export function evaluateRunIsolation(probe: Probe<RunIsolationFacts>, ns: string): DoctorCheck {
  if (!probe.ok) {
    // The server's message names the exact permission; the probe needs only run permissions.
    if (probe.failure.reason === 'forbidden')
      return check(
        'run-isolation',
        'warn',
        `not checked: ${probe.failure.message}`,
        `the probe needs what runs need in ${ns} (create and delete jobs, list pods, get pods/log): ` +
          'kubectl apply -f deploy/rbac/role-runs.yaml, or run doctor with an administrator’s kubeconfig',
      );
    return unanswered('run-isolation', probe.failure);
  }
  const { profile, admission, probe: tried } = probe.value;
  if (!profile)
    return check(
      'run-isolation',
      'warn',
      'not configured: run pods use RuntimeDefault seccomp, so the harness shares uid 1000 and a PID namespace ' +
        "with the student's programs (ADR 0006's plain mode)",
      `${install()}; then start the server with --k8s-run-seccomp-profile aperture/runner.json ` +
        '(APERTURE_K8S_RUN_SECCOMP_PROFILE) and test it with --probe-isolation',
    );
  if (admission.tried && !admission.result.admitted)
    return check(
      'run-isolation',
      'fail',
      `a run pod with Localhost profile ${profile} is refused in ${ns} (dry run, ${admission.result.status}): ${admission.result.message}`,
      'PodSecurity "restricted" admits Localhost profiles: another admission policy of the cluster refuses it; ' +
        'allow localhostProfile for the runs namespace',
    );
  const admitted = admission.tried ? 'admitted (dry run)' : 'admission not tested';
  if (!tried)
    return check(
      'run-isolation',
      'warn',
      `run pods use Localhost profile ${profile}, ${admitted}; not tried on a node: a node without the file fails every run`,
      probeHint(profile),
    );
  if (tried.ok)
    return check(
      'run-isolation',
      'pass',
      `Localhost profile ${profile}: a probe pod on ${tried.node} ran runlimit --isolate --userns (user, PID, mount, ` +
        `network, IPC and UTS namespaces, a tmpfs) as uid 1000 in ${tried.seconds} s; ${admitted}`,
    );
  const on = tried.node ? ` on ${tried.node}` : '';
  const detail = `the probe pod with Localhost profile ${profile} failed${on}: ${tried.message}`;
  switch (tried.stage) {
    case 'created':
      return check(
        'run-isolation',
        'fail',
        detail,
        `its Job made no pod: look at \`kubectl -n ${ns} get events\` (a quota, a LimitRange, an admission policy)`,
      );
    case 'scheduled':
      return check(
        'run-isolation',
        'fail',
        detail,
        'no node took it: pass the node selector, tolerations and architectures of run pods ' +
          '(--node-selector, --tolerations, --architectures, or the server’s APERTURE_K8S_* variables)',
      );
    case 'started':
      if (/seccomp/i.test(tried.message))
        return check(
          'run-isolation',
          'fail',
          detail,
          `${install(profile)}${tried.node ? `; missing on ${tried.node}` : ''}`,
        );
      if (/Image/.test(tried.reason ?? ''))
        return check(
          'run-isolation',
          'fail',
          detail,
          'the probe runs <image prefix>aperture/runner-python: pass the server’s --image-prefix (APERTURE_IMAGE_PREFIX)',
        );
      return check(
        'run-isolation',
        'fail',
        detail,
        `kubectl -n ${ns} get events, and the node's kubelet log`,
      );
    case 'ran':
      if (/usage: runlimit|unknown (option|flag)/i.test(tried.message))
        return check(
          'run-isolation',
          'fail',
          detail,
          'the runner image predates runlimit --userns: rebuild and push the images (scripts/build-images.sh)',
        );
      return check(
        'run-isolation',
        'fail',
        detail,
        `the node's ${profile} does not allow what runlimit needs (unshare, clone with namespace flags, mount, ` +
          `umount2, pivot_root, sethostname): ${install(profile)}`,
      );
  }
}
