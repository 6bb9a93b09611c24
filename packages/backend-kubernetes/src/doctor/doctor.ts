import type { KubeConfig } from '@kubernetes/client-node';
import { evaluate } from './evaluate.ts';
import { DEFAULT_PRIORITY_CLASSES, type PriorityClassNames } from './facts.ts';
import { gatherFacts } from './gather.ts';
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
}

/**
 * Checks a cluster for what Aperture's runs need, with the kubeconfig's own identity (the
 * Aperture ServiceAccount's, to see what the server will be able to do; or an administrator's, to
 * see more). Read-only: the one write, a pod for the PodSecurity test, is a server-side dry run.
 */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const facts = await gatherFacts({
    kubeConfig: options.kubeConfig,
    namespace: options.namespace ?? DEFAULT_RUNS_NAMESPACE,
    priorityClassNames: options.priorityClassNames ?? DEFAULT_PRIORITY_CLASSES,
    timeoutMs: options.timeoutMs ?? 10_000,
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
