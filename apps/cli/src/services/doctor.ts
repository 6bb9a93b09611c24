import {
  type DoctorCheck,
  type DoctorReport,
  KubeConfigError,
  kubernetesArch,
  loadKubeConfig,
  PlacementSyntaxError,
  parseArchitectures,
  parseNodeSelector,
  parseSeccompProfile,
  parseTolerations,
  runDoctor,
} from '@aperture/backend-kubernetes';
import type { DoctorFlags } from '../commands/doctor.ts';
import { CliError, EXIT } from '../errors.ts';
import type { Output } from '../output.ts';

/** Exit code when a check failed (warnings alone leave it 0). */
export const EXIT_CHECK_FAILED = 1;

export async function doctor(flags: DoctorFlags, out: Output): Promise<number> {
  const kubeConfig = load(flags);
  const isolation = isolationOptions(flags);
  if (!out.json)
    out.info(
      `checking ${kubeConfig.getCurrentCluster()?.server} (context ${kubeConfig.getCurrentContext()}) …`,
    );
  const report = await runDoctor({ kubeConfig, namespace: flags.namespace, ...isolation });
  printDoctorReport(report, out);
  return report.summary.fail > 0 ? EXIT_CHECK_FAILED : EXIT.ok;
}

/** The run seccomp profile and, with --probe-isolation, where and with what image to try it. */
function isolationOptions(flags: DoctorFlags) {
  try {
    const runSeccompProfile = flags.runSeccompProfile
      ? parseSeccompProfile(flags.runSeccompProfile)
      : undefined;
    if (flags.probeIsolation && !runSeccompProfile)
      throw new CliError(
        '--probe-isolation needs --run-seccomp-profile (APERTURE_K8S_RUN_SECCOMP_PROFILE)',
        EXIT.usage,
        'e.g. --run-seccomp-profile aperture/runner.json (deploy/seccomp/README.md)',
      );
    if (!flags.probeIsolation) return { runSeccompProfile };
    return {
      runSeccompProfile,
      isolationProbe: {
        imagePrefix: flags.imagePrefix,
        nodeSelector: parseNodeSelector(flags.nodeSelector ?? ''),
        tolerations: parseTolerations(flags.tolerations ?? ''),
        architectures: flags.architectures
          ? parseArchitectures(flags.architectures)
          : [kubernetesArch(process.arch)],
      },
    };
  } catch (error) {
    if (error instanceof PlacementSyntaxError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
}

function load(flags: DoctorFlags) {
  try {
    return loadKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context });
  } catch (error) {
    if (error instanceof KubeConfigError)
      throw new CliError(
        error.message,
        EXIT.usage,
        'pass --kubeconfig PATH (APERTURE_KUBECONFIG) or set KUBECONFIG',
      );
    throw error;
  }
}

export function printDoctorReport(report: DoctorReport, out: Output): void {
  out.result(report, renderDoctorReport);
}

const MARKS: Record<DoctorCheck['status'], string> = { pass: '✔', warn: '!', fail: '✖' };

/** One line per check, the hint under each one that did not pass, a summary at the end. */
export function renderDoctorReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.title.length));
  const indent = ' '.repeat(width + 4);
  const lines = [
    `Aperture doctor: ${report.server} (context ${report.context}), namespace ${report.namespace}`,
    '',
  ];
  let lastHint: string | undefined;
  for (const c of report.checks) {
    lines.push(`${MARKS[c.status]} ${c.title.padEnd(width)}  ${c.detail}`);
    // Lines skipped because of an earlier failure share its hint: print it once, not ten times.
    if (c.status !== 'pass' && c.hint && c.hint !== lastHint) lines.push(`${indent}hint: ${c.hint}`);
    lastHint = c.status === 'pass' ? undefined : c.hint;
  }
  const { pass, warn, fail } = report.summary;
  lines.push('', `${pass} passed, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed`);
  return lines.join('\n');
}
