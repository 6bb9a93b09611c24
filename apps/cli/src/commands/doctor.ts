import { type Command, Option } from 'commander';
import { Output } from '../output.ts';
import { examples, outputOption } from './common.ts';

export interface DoctorFlags {
  output: 'text' | 'json';
  kubeconfig?: string;
  context?: string;
  namespace: string;
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('Check a Kubernetes cluster for what Aperture’s runs need: API, RBAC, isolation, nodes')
    .addOption(outputOption())
    .addOption(
      new Option(
        '--kubeconfig <path>',
        'kubeconfig file (default: the pod’s service account in a cluster, else $KUBECONFIG or ~/.kube/config)',
      ).env('APERTURE_KUBECONFIG'),
    )
    .addOption(
      new Option('--context <name>', 'kubeconfig context (default: its current one)').env(
        'APERTURE_KUBE_CONTEXT',
      ),
    )
    .addOption(
      new Option('-n, --namespace <name>', 'the runs namespace')
        .default('aperture-runs')
        .env('APERTURE_K8S_NAMESPACE'),
    )
    .addHelpText(
      'after',
      `${examples(
        'aperture doctor',
        'aperture doctor --kubeconfig aperture.kubeconfig --namespace aperture-runs',
        'KUBECONFIG=~/.kube/prod aperture doctor --context prod -o json',
      )}
Checks with the kubeconfig's identity: Aperture's ServiceAccount shows what the server may do;
an administrator's lets doctor look further (the PodSecurity dry run, kube-system's CNI pods).
Exit codes: 0 nothing failed (warnings allowed) · 1 a check failed · 2 bad arguments or kubeconfig`,
    )
    .action(async (opts: DoctorFlags) => {
      // Loaded here: the Kubernetes client is only needed by this command.
      const { doctor } = await import('../services/doctor.ts');
      process.exitCode = await doctor(opts, new Output(opts.output));
    });
}
