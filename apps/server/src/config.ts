import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parseTrustProxy } from './http/trust-proxy.ts';
import { AllowListError, parseAllowList } from './outbound/address-policy.ts';

/** A number of execution slots, unset by default (then derived from the concurrency). */
const slotCount = (min: number) => z.coerce.number().int().min(min).max(256).optional();

/**
 * One schema for the server's configuration. Sources, later winning: defaults, a JSON file
 * (APERTURE_CONFIG or --config), APERTURE_* environment variables, command-line flags.
 */
export const serverConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    dataDir: z.string().default(join(homedir(), '.local', 'share', 'aperture')),
    databaseUrl: z.string().optional().describe('postgres://… for PostgreSQL; empty for SQLite in dataDir'),
    /**
     * `podman`: Podman's REST API (a private `podman system service`, or podmanSocket); `podman-cli`:
     * one CLI call per run; `kubernetes`: one Job per run in a cluster (the k8s* settings below).
     */
    backend: z.enum(['podman', 'podman-cli', 'kubernetes']).default('podman'),
    kubeconfig: z
      .string()
      .optional()
      .describe(
        'kubeconfig file for the kubernetes backend; default: in-cluster, else $KUBECONFIG or ~/.kube/config',
      ),
    kubeContext: z.string().optional().describe('a kubeconfig context other than the current one'),
    k8sNamespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace name')
      .default('aperture-runs'),
    /** `none` leaves run pods without a PriorityClass. */
    k8sPriorityClass: z.string().default('aperture-runs'),
    k8sRuntimeClass: z.string().optional().describe('e.g. gvisor; default: the cluster’s default runtime'),
    k8sImagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
    k8sNodeSelector: z.string().default('').describe('extra node labels for run pods: key=value,…'),
    k8sTolerations: z.string().default('').describe('taints run pods tolerate: key=value:Effect,…'),
    k8sArchitectures: z
      .string()
      .optional()
      .describe(
        'kubernetes.io/arch values the runner images exist for: amd64,arm64 (default: this machine’s)',
      ),
    k8sRunSeccompProfile: z
      .string()
      .optional()
      .describe(
        'kubernetes: the Localhost seccomp profile of run pods, e.g. aperture/runner.json (deploy/seccomp/); turns on the isolated engine',
      ),
    podmanSocket: z
      .string()
      .optional()
      .describe('An existing Podman API socket (e.g. /run/podman/podman.sock)'),
    /** Runs at once. Default: the CPUs of this machine (Podman), or KUBERNETES_DEFAULT_CONCURRENCY. */
    concurrency: z.coerce.number().int().min(1).max(256).optional(),
    maxAttempts: z.coerce.number().int().min(1).max(10).default(3),
    // Fair share of execution (docs/operations.md, "Fair share of execution"). Unset: derived from concurrency.
    maxRunningPerUser: slotCount(1).describe(
      'runs one user executes at once before more only borrow idle slots; default half the concurrency, at least 1',
    ),
    maxRunningPerCourse: slotCount(1).describe(
      'the same per course (ad-hoc runs: one lane), while other courses have work; default 3/4 of the concurrency, rounded up',
    ),
    reservedSlots: slotCount(0).describe(
      'free slots runs over their share never borrow, so a newcomer starts at once; default 1 (0 at concurrency 1); = concurrency makes the caps strict',
    ),
    maxUnfinishedStudent: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(20)
      .describe('runs a student may have queued or running (more: 429)'),
    maxUnfinishedStaff: z.coerce.number().int().min(1).max(10_000).default(200),
    maxUnfinishedAdmin: z.coerce.number().int().min(1).max(10_000).default(500),
    studentAdhocTestSeconds: z.coerce
      .number()
      .min(0.1)
      .max(120)
      .default(10)
      .describe('ad-hoc runs by students: wall-time limit of one test at most (more: 400)'),
    studentAdhocTests: z.coerce.number().int().min(0).max(200).default(20),
    studentAdhocTotalSeconds: z.coerce
      .number()
      .min(0.1)
      .max(86_400)
      .default(60)
      .describe('ad-hoc runs by students: compile + every test at its limit, at most'),
    staffAdhocTestSeconds: z.coerce.number().min(0.1).max(120).default(60),
    staffAdhocTests: z.coerce.number().int().min(0).max(200).default(100),
    staffAdhocTotalSeconds: z.coerce.number().min(0.1).max(86_400).default(600),
    poolSize: z.coerce.number().int().min(0).max(64).default(0),
    poolLanguages: z.string().default('python'),
    podmanPath: z.string().default('podman'),
    instance: z
      .string()
      .regex(/^[a-zA-Z0-9_.-]{1,63}$/)
      .default('default'),
    imagePrefix: z.string().default('localhost/'),
    bootstrapToken: z.string().min(16).optional(),
    adminUsername: z.string().default('admin'),
    adminPassword: z.string().min(8).optional(),
    seedDemo: z.coerce.boolean().default(false),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    secureCookies: z.coerce.boolean().default(false),
    publicUrl: z.string().optional(),
    /**
     * Whose X-Forwarded-For gives the client address (sign-in throttling counts per address): off,
     * true (every hop), a number of hops, or proxy addresses/CIDRs. See docs/operations.md.
     */
    trustProxy: z
      .union([z.boolean(), z.number(), z.string(), z.array(z.string())])
      .default(false)
      .transform((value, ctx) => {
        try {
          return parseTrustProxy(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
    /** Failed sign-ins at one username from one address before its back-off starts (1 s, 2 s … 15 min). */
    loginFailuresPerAccountAndAddress: z.coerce.number().int().min(1).max(1000).default(5),
    /** The same for one username from every address: far higher, so one address cannot reach it soon. */
    loginFailuresPerAccount: z.coerce.number().int().min(1).max(100_000).default(50),
    /** Distinct usernames failing from one client address: a classroom may share one address. */
    loginFailuresPerAddress: z.coerce.number().int().min(1).max(100_000).default(20),
    /** Labs: how often the reconciler looks at every live deployment (idle stop, later enrollees, recovery). */
    labReconcileSeconds: z.coerce.number().int().min(1).max(3600).default(15),
    /** How long one of a lab's checks is retried before publish counts it failed. */
    labCheckTimeoutSeconds: z.coerce.number().int().min(1).max(600).default(60),
    /** How long publish waits for its throw-away copy to be ready. */
    labCheckReadySeconds: z.coerce.number().int().min(1).max(3600).default(180),
    /** Labs may reach the internet (never private ranges); an exam may turn it off. */
    labInternetEgress: z.coerce.boolean().default(true),
    labStorageClass: z.string().optional().describe('kubernetes: the StorageClass of lab volumes'),
    labRuntimeClass: z.string().optional().describe('kubernetes: e.g. gvisor for lab pods'),
    labProxyNamespace: z
      .string()
      .default('aperture')
      .describe('kubernetes: the namespace Aperture runs in (the only peer let into a lab)'),
    labProxyPodLabels: z
      .string()
      .default('app.kubernetes.io/name=aperture')
      .describe('kubernetes: labels of Aperture’s pods: key=value,…'),
    // Outbound requests (webhooks): where the server may call on a user's behalf. See docs/operations.md.
    webhooksEnabled: z.coerce.boolean().default(true),
    webhookAllowList: z
      .string()
      .default('')
      .superRefine(checkAllowList)
      .describe(
        'non-public destinations webhooks may reach anyway: CIDRs, IPs, host names, *.suffixes; comma-separated',
      ),
  })
  .strict();

/** On Kubernetes the cluster does the work: the server's own CPUs say nothing about capacity. */
export const KUBERNETES_DEFAULT_CONCURRENCY = 32;

export type ServerConfig = z.infer<typeof serverConfigSchema> & { concurrency: number };

const ENV_KEYS: Record<string, keyof ServerConfig> = {
  APERTURE_HOST: 'host',
  APERTURE_PORT: 'port',
  APERTURE_DATA_DIR: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  APERTURE_DATABASE_URL: 'databaseUrl',
  APERTURE_BACKEND: 'backend',
  APERTURE_KUBECONFIG: 'kubeconfig',
  APERTURE_KUBE_CONTEXT: 'kubeContext',
  APERTURE_K8S_NAMESPACE: 'k8sNamespace',
  APERTURE_K8S_PRIORITY_CLASS: 'k8sPriorityClass',
  APERTURE_K8S_RUNTIME_CLASS: 'k8sRuntimeClass',
  APERTURE_K8S_IMAGE_PULL_POLICY: 'k8sImagePullPolicy',
  APERTURE_K8S_NODE_SELECTOR: 'k8sNodeSelector',
  APERTURE_K8S_TOLERATIONS: 'k8sTolerations',
  APERTURE_K8S_ARCHITECTURES: 'k8sArchitectures',
  APERTURE_K8S_RUN_SECCOMP_PROFILE: 'k8sRunSeccompProfile',
  APERTURE_CONCURRENCY: 'concurrency',
  APERTURE_MAX_ATTEMPTS: 'maxAttempts',
  APERTURE_MAX_RUNNING_PER_USER: 'maxRunningPerUser',
  APERTURE_MAX_RUNNING_PER_COURSE: 'maxRunningPerCourse',
  APERTURE_RESERVED_SLOTS: 'reservedSlots',
  APERTURE_MAX_UNFINISHED_STUDENT: 'maxUnfinishedStudent',
  APERTURE_MAX_UNFINISHED_STAFF: 'maxUnfinishedStaff',
  APERTURE_MAX_UNFINISHED_ADMIN: 'maxUnfinishedAdmin',
  APERTURE_STUDENT_ADHOC_TEST_SECONDS: 'studentAdhocTestSeconds',
  APERTURE_STUDENT_ADHOC_TESTS: 'studentAdhocTests',
  APERTURE_STUDENT_ADHOC_TOTAL_SECONDS: 'studentAdhocTotalSeconds',
  APERTURE_STAFF_ADHOC_TEST_SECONDS: 'staffAdhocTestSeconds',
  APERTURE_STAFF_ADHOC_TESTS: 'staffAdhocTests',
  APERTURE_STAFF_ADHOC_TOTAL_SECONDS: 'staffAdhocTotalSeconds',
  APERTURE_POOL_SIZE: 'poolSize',
  APERTURE_POOL_LANGUAGES: 'poolLanguages',
  APERTURE_PODMAN: 'podmanPath',
  APERTURE_PODMAN_SOCKET: 'podmanSocket',
  APERTURE_INSTANCE: 'instance',
  APERTURE_IMAGE_PREFIX: 'imagePrefix',
  APERTURE_BOOTSTRAP_TOKEN: 'bootstrapToken',
  APERTURE_ADMIN_USERNAME: 'adminUsername',
  APERTURE_ADMIN_PASSWORD: 'adminPassword',
  APERTURE_SEED_DEMO: 'seedDemo',
  APERTURE_LOG_LEVEL: 'logLevel',
  APERTURE_SECURE_COOKIES: 'secureCookies',
  APERTURE_PUBLIC_URL: 'publicUrl',
  APERTURE_TRUST_PROXY: 'trustProxy',
  APERTURE_LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS: 'loginFailuresPerAccountAndAddress',
  APERTURE_LOGIN_FAILURES_PER_ACCOUNT: 'loginFailuresPerAccount',
  APERTURE_LOGIN_FAILURES_PER_ADDRESS: 'loginFailuresPerAddress',
  APERTURE_LAB_RECONCILE_SECONDS: 'labReconcileSeconds',
  APERTURE_LAB_CHECK_TIMEOUT_SECONDS: 'labCheckTimeoutSeconds',
  APERTURE_LAB_CHECK_READY_SECONDS: 'labCheckReadySeconds',
  APERTURE_LAB_INTERNET_EGRESS: 'labInternetEgress',
  APERTURE_LAB_STORAGE_CLASS: 'labStorageClass',
  APERTURE_LAB_RUNTIME_CLASS: 'labRuntimeClass',
  APERTURE_LAB_PROXY_NAMESPACE: 'labProxyNamespace',
  APERTURE_LAB_PROXY_POD_LABELS: 'labProxyPodLabels',
  APERTURE_WEBHOOKS_ENABLED: 'webhooksEnabled',
  APERTURE_WEBHOOK_ALLOW_LIST: 'webhookAllowList',
};

const BOOLEAN_FIELDS: ReadonlySet<string> = new Set([
  'seedDemo',
  'secureCookies',
  'labInternetEgress',
  'webhooksEnabled',
]);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadServerConfig(
  flags: Partial<Record<keyof ServerConfig, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
  configFile?: string,
): ServerConfig {
  const fromFile = readConfigFile(configFile ?? env['APERTURE_CONFIG']);
  const fromEnv: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(ENV_KEYS)) {
    const value = env[key];
    if (value !== undefined && value !== '')
      fromEnv[field] = BOOLEAN_FIELDS.has(field) ? parseBool(value) : value;
  }
  const definedFlags = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  const parsed = serverConfigSchema.safeParse({ ...fromFile, ...fromEnv, ...definedFlags });
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(config)'}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const concurrency =
    parsed.data.concurrency ??
    (parsed.data.backend === 'kubernetes' ? KUBERNETES_DEFAULT_CONCURRENCY : availableParallelism());
  return { ...parsed.data, concurrency, dataDir: resolve(parsed.data.dataDir) };
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  if (!existsSync(path)) throw new ConfigError(`Config file ${path} does not exist.`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`Config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A typo in the allow-list stops the start, naming the entry, instead of silently allowing less. */
function checkAllowList(value: string, ctx: z.RefinementCtx): void {
  try {
    parseAllowList(value);
  } catch (error) {
    if (!(error instanceof AllowListError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
}

function parseBool(value: string): boolean {
  return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}
