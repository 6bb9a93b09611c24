import { type Command, Option } from 'commander';
import { Output } from '../output.ts';
import { examples, outputOption } from './common.ts';

export interface DoctorFlags {
  output: 'text' | 'json';
  kubeconfig?: string;
  context?: string;
  namespace: string;
  runSeccompProfile?: string;
  probeIsolation?: boolean;
  imagePrefix: string;
  nodeSelector?: string;
  tolerations?: string;
  architectures?: string;
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
    .addOption(
      new Option(
        '--run-seccomp-profile <path>',
        'the Localhost seccomp profile run pods use, e.g. aperture/runner.json (as the server’s --k8s-run-seccomp-profile)',
      ).env('APERTURE_K8S_RUN_SECCOMP_PROFILE'),
    )
    .addOption(
      new Option(
        '--probe-isolation',
        'try the profile on a node: one short-lived Job in the runs namespace runs runlimit --isolate --userns, then is deleted',
      ),
    )
    .addOption(
      new Option('--image-prefix <prefix>', 'the probe: prefix of the runner images (as the server’s)')
        .default('localhost/')
        .env('APERTURE_IMAGE_PREFIX'),
    )
    .addOption(
      new Option('--node-selector <k=v,…>', 'the probe: node labels run pods need (as the server’s)').env(
        'APERTURE_K8S_NODE_SELECTOR',
      ),
    )
    .addOption(
      new Option('--tolerations <k=v:Effect,…>', 'the probe: taints run pods tolerate (as the server’s)').env(
        'APERTURE_K8S_TOLERATIONS',
      ),
    )
    .addOption(
      new Option(
        '--architectures <list>',
        'the probe: architectures of the runner images (as the server’s)',
      ).env('APERTURE_K8S_ARCHITECTURES'),
    )
    .addHelpText(
      'after',
      `${examples(
        'aperture doctor',
        'aperture doctor --kubeconfig aperture.kubeconfig --namespace aperture-runs',
        'KUBECONFIG=~/.kube/prod aperture doctor --context prod -o json',
        'aperture doctor --run-seccomp-profile aperture/runner.json --probe-isolation --image-prefix registry.example.edu/',
      )}
Checks with the kubeconfig's identity: Aperture's ServiceAccount shows what the server may do;
an administrator's lets doctor look further (the PodSecurity dry run, kube-system's CNI pods).
Read-only but for the PodSecurity dry runs, unless --probe-isolation: that creates one Job.
Exit codes: 0 nothing failed (warnings allowed) · 1 a check failed · 2 bad arguments or kubeconfig`,
    )
    .action(async (opts: DoctorFlags) => {
      // Loaded here: the Kubernetes client is only needed by this command.
      const { doctor } = await import('../services/doctor.ts');
      process.exitCode = await doctor(opts, new Output(opts.output));
    });
}
