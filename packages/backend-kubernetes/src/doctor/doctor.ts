import type { KubeConfig } from '@kubernetes/client-node';
import { evaluate } from './evaluate.ts';
import { DEFAULT_PRIORITY_CLASSES, type PriorityClassNames } from './facts.ts';
import { gatherFacts } from './gather.ts';
import type { IsolationProbeOptions } from './isolation-probe.ts';
import { type DoctorReport, summarize } from './report.ts';

export const DEFAULT_RUNS_NAMESPACE = 'aperture-runs';

export interface DoctorOptions {
  kubeConfig: KubeConfig;
  /** The runs namespace (default `aperture-runs`, as in deploy/rbac/). */
  namespace?: string;
  /** When an installation renamed Aperture's PriorityClasses. */
  priorityClassNames?: PriorityClassNames;
  /** Per request to the API server (default 10 s). */
  timeoutMs?: number;
  /** The Localhost seccomp profile run pods are configured with (the server's --k8s-run-seccomp-profile). */
  runSeccompProfile?: string | undefined;
  /**
   * Given (with runSeccompProfile): start one short-lived probe Job in the runs namespace that runs
   * runlimit --isolate --userns on a node, and delete it after. Off by default: doctor otherwise
   * writes nothing.
   */
  isolationProbe?: Omit<IsolationProbeOptions, 'profile'> | undefined;
}

/**
 * Checks a cluster for what Aperture's runs need, with the kubeconfig's own identity (the
 * Aperture ServiceAccount's, to see what the server will be able to do; or an administrator's, to
 * see more). Read-only: the writes, pods for the PodSecurity tests, are server-side dry runs;
 * only the opt-in isolation probe creates (and deletes) a Job.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const facts = await gatherFacts({
    kubeConfig: options.kubeConfig,
    namespace: options.namespace ?? DEFAULT_RUNS_NAMESPACE,
    priorityClassNames: options.priorityClassNames ?? DEFAULT_PRIORITY_CLASSES,
    timeoutMs: options.timeoutMs ?? 10_000,
    runSeccompProfile: options.runSeccompProfile,
    isolationProbe: options.isolationProbe,
  });
  const checks = evaluate(facts);
  return {
    server: facts.server,
    context: facts.context,
    namespace: facts.namespace,
    checks,
    summary: summarize(checks),
  };
}
