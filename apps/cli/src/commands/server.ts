import { type Command, Option } from 'commander';
import { Output } from '../output.ts';

export interface ServerFlags {
  output: 'text' | 'json';
  config?: string;
  demo?: boolean;
  [flag: string]: unknown;
}

/** Flag → config field. Environment variables are read by loadServerConfig itself; flags win. */
const FLAGS: Array<[flag: string, field: string, description: string]> = [
  ['--host <host>', 'host', 'address to listen on (APERTURE_HOST, default 127.0.0.1)'],
  ['--port <port>', 'port', 'port, 0 for any free one (APERTURE_PORT, default 8080)'],
  ['--data-dir <dir>', 'dataDir', 'where SQLite and state live (APERTURE_DATA_DIR)'],
  ['--database-url <url>', 'databaseUrl', 'postgres://… instead of SQLite (APERTURE_DATABASE_URL)'],
  ['--backend <name>', 'backend', 'podman (REST API, default), podman-cli or kubernetes (APERTURE_BACKEND)'],
  [
    '--kubeconfig <file>',
    'kubeconfig',
    'kubernetes: kubeconfig (APERTURE_KUBECONFIG; default in-cluster, $KUBECONFIG)',
  ],
  ['--kube-context <name>', 'kubeContext', 'kubernetes: kubeconfig context (APERTURE_KUBE_CONTEXT)'],
  [
    '--k8s-namespace <ns>',
    'k8sNamespace',
    'kubernetes: namespace for run Jobs (APERTURE_K8S_NAMESPACE, default aperture-runs)',
  ],
  [
    '--k8s-priority-class <name>',
    'k8sPriorityClass',
    'kubernetes: PriorityClass of run pods, or none (APERTURE_K8S_PRIORITY_CLASS, default aperture-runs)',
  ],
  [
    '--k8s-runtime-class <name>',
    'k8sRuntimeClass',
    'kubernetes: RuntimeClass such as gvisor (APERTURE_K8S_RUNTIME_CLASS)',
  ],
  [
    '--k8s-image-pull-policy <policy>',
    'k8sImagePullPolicy',
    'kubernetes: Always|IfNotPresent|Never (APERTURE_K8S_IMAGE_PULL_POLICY)',
  ],
  [
    '--k8s-node-selector <k=v,…>',
    'k8sNodeSelector',
    'kubernetes: node labels run pods need (APERTURE_K8S_NODE_SELECTOR)',
  ],
  [
    '--k8s-tolerations <k=v:Effect,…>',
    'k8sTolerations',
    'kubernetes: taints run pods tolerate (APERTURE_K8S_TOLERATIONS)',
  ],
  [
    '--k8s-architectures <list>',
    'k8sArchitectures',
    'kubernetes: kubernetes.io/arch values of the runner images (APERTURE_K8S_ARCHITECTURES)',
  ],
  [
    '--k8s-run-seccomp-profile <path>',
    'k8sRunSeccompProfile',
    'kubernetes: Localhost seccomp profile of run pods, e.g. aperture/runner.json: isolated runs (APERTURE_K8S_RUN_SECCOMP_PROFILE)',
  ],
  ['--podman-socket <path>', 'podmanSocket', 'use this Podman API socket (APERTURE_PODMAN_SOCKET)'],
  [
    '--instance <name>',
    'instance',
    'names this installation’s sandboxes (APERTURE_INSTANCE, default default)',
  ],
  [
    '--concurrency <n>',
    'concurrency',
    'runs at once (APERTURE_CONCURRENCY, default: CPUs; 32 on kubernetes)',
  ],
  ['--max-attempts <n>', 'maxAttempts', 'tries per run on infrastructure failure (APERTURE_MAX_ATTEMPTS)'],
  ['--pool-size <n>', 'poolSize', 'warm sandboxes per pooled language (APERTURE_POOL_SIZE)'],
  ['--pool-languages <ids>', 'poolLanguages', 'comma-separated languages to pool (APERTURE_POOL_LANGUAGES)'],
  ['--podman <path>', 'podmanPath', 'podman binary (APERTURE_PODMAN)'],
  ['--image-prefix <prefix>', 'imagePrefix', 'runner image prefix (APERTURE_IMAGE_PREFIX)'],
  [
    '--bootstrap-token <token>',
    'bootstrapToken',
    'an admin API token to create on first start (APERTURE_BOOTSTRAP_TOKEN)',
  ],
  ['--admin-username <name>', 'adminUsername', 'first admin’s username (APERTURE_ADMIN_USERNAME)'],
  ['--admin-password <password>', 'adminPassword', 'first admin’s password (APERTURE_ADMIN_PASSWORD)'],
  ['--log-level <level>', 'logLevel', 'fatal|error|warn|info|debug|trace|silent (APERTURE_LOG_LEVEL)'],
  ['--public-url <url>', 'publicUrl', 'URL people reach the server at (APERTURE_PUBLIC_URL)'],
  [
    '--trust-proxy <proxies>',
    'trustProxy',
    'whose X-Forwarded-For names the client: true, hops, or proxy CIDRs (APERTURE_TRUST_PROXY, default off)',
  ],
];

export function registerServerCommand(program: Command): void {
  const command = program
    .command('server')
    .description('Start the Aperture server (API, web UI, run dispatcher)')
    .addOption(
      new Option('-o, --output <format>', 'summary format').choices(['text', 'json']).default('text'),
    )
    .option('--config <file>', 'JSON config file (APERTURE_CONFIG)')
    .option('--demo', 'seed a demo course and users on first start (APERTURE_SEED_DEMO)')
    .option('--secure-cookies', 'mark session cookies Secure, behind HTTPS (APERTURE_SECURE_COOKIES)');
  for (const [flag, , description] of FLAGS) command.option(flag, description);
  command
    .addHelpText(
      'after',
      `
Every flag can also come from its APERTURE_* variable or the --config file; flags win.
Logs go to stderr; the URL and first-start logins to stdout. Ctrl-C closes gracefully, twice exits at once.

Examples:
  $ aperture server --demo
  $ aperture server --port 9000 --data-dir /var/lib/aperture --concurrency 8
  $ APERTURE_DATABASE_URL=postgres://aperture@db/aperture aperture server --log-level warn
  $ aperture server --backend kubernetes --kubeconfig ~/.kube/aperture.yaml --concurrency 50
`,
    )
    .action(async (opts: ServerFlags) => {
      // Loaded here, not at the top: every other command starts without the server's dependencies.
      const { loadServerConfig, startServer } = await import('@aperture/server');
      const { pino } = await import('pino');
      const { closeOnSignals, printServerSummary, serverSummary } = await import('../services/server.ts');
      const config = loadServerConfig(configFlags(opts), process.env, opts.config);
      const out = new Output(opts.output);
      // Logs to stderr: stdout carries only the summary, so `-o json` output stays parseable.
      const logger = pino<string>(
        { level: config.logLevel, base: { service: 'aperture' } },
        pino.destination(2),
      );
      const server = await startServer(config, { logger });
      printServerSummary(serverSummary(server, config), out);
      closeOnSignals(server, out);
    });
}

/** Commander's options → the config fields given on the command line (undefined: not given). */
export function configFlags(opts: ServerFlags): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const [flag, field] of FLAGS) flags[field] = opts[camel(flag)];
  if (opts.demo) flags['seedDemo'] = true;
  if (opts['secureCookies']) flags['secureCookies'] = true;
  return flags;
}

/** `--data-dir <dir>` → `dataDir`, as commander names it. */
export function camel(flag: string): string {
  const name = flag.split(' ')[0]!.replace(/^--/, '');
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
