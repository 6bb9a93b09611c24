import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PodmanApiRunExecutor, PodmanRunExecutor } from '@aperture/backend-podman';
import {
  AssignmentService,
  AuthService,
  type Clock,
  type CoreDeps,
  CourseService,
  DEFAULT_LOGIN_BACKOFF,
  Dispatcher,
  GradebookService,
  isAppError,
  type LabBackend,
  LabReconciler,
  LabService,
  type Logger,
  type LoginBackoffPolicy,
  type RunExecutor,
  RunService,
} from '@aperture/core';
import { createStore } from '@aperture/storage';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from './app.ts';
import { ConfigError, type ServerConfig } from './config.ts';
import type { ServerContext } from './context.ts';
import { DEMO_COURSE, DEMO_PASSWORD, DEMO_USERS, seedDemo } from './demo-seed.ts';
import { admissionPolicyOf, fairShareOf } from './fair-share-config.ts';
import { commonPasswordList } from './infra/common-passwords.ts';
import { InProcessEventBus } from './infra/event-bus.ts';
import { ScryptSecretHasher } from './infra/hasher.ts';
import { RandomIdGenerator } from './infra/ids.ts';
import { closeLabBackend, createLabBackend } from './lab-backend.ts';
import type { Resolver } from './outbound/index.ts';
import { startWebhookDelivery, webhooksFromConfig } from './webhooks.ts';

export const VERSION = '0.1.0';

export interface RunningServer {
  app: FastifyInstance;
  ctx: ServerContext;
  url: string;
  /** Graceful: stop taking runs, let running ones finish (or requeue them), close everything. */
  close(graceMs?: number): Promise<void>;
  bootstrap: { adminCreated: boolean; adminPassword?: string | undefined; demoCreated: boolean };
}

export interface ServerOverrides {
  /** Tests may inject an executor; production always builds the configured backend. */
  executor?: RunExecutor;
  /** Tests may inject the lab backend (LabProvisioner & LabAccess) the same way. */
  labBackend?: LabBackend;
  /** Tests may stand in for DNS, to play a name that resolves differently each time. */
  outboundResolver?: Resolver;
  logger?: ReturnType<typeof pino> | false;
  /** Tests may move time (sign-in back-off, session expiry); production uses the system clock. */
  clock?: Clock;
}

export async function startServer(
  config: ServerConfig,
  overrides: ServerOverrides = {},
): Promise<RunningServer> {
  mkdirSync(config.dataDir, { recursive: true });
  const logger = overrides.logger ?? pino({ level: config.logLevel, base: { service: 'aperture' } });
  const coreLogger = logger === false ? pino({ level: 'silent' }) : logger;
  const store = await createStore({
    ...(config.databaseUrl ? { url: config.databaseUrl } : {}),
    sqlitePath: join(config.dataDir, 'aperture.sqlite'),
  });
  const deps: CoreDeps = {
    store,
    clock: overrides.clock ?? { now: () => new Date() },
    ids: new RandomIdGenerator(),
    hasher: new ScryptSecretHasher(),
    events: new InProcessEventBus(),
  };
  const executor = overrides.executor ?? (await createExecutor(config, coreLogger));
  const auth = new AuthService(deps, {
    commonPasswords: commonPasswordList,
    loginBackoff: loginBackoffFromConfig(config),
    logger: coreLogger,
  });
  const courses = new CourseService(deps, auth);
  const assignments = new AssignmentService(deps, courses);
  const webhooks = webhooksFromConfig(config, overrides.outboundResolver);
  const runs = new RunService(deps, courses, assignments, {
    webhookTargets: webhooks.targets,
    admission: admissionPolicyOf(config),
  });
  const gradebook = new GradebookService(deps, courses);
  const dispatcher = new Dispatcher(deps, executor, coreLogger, {
    concurrency: config.concurrency,
    maxAttempts: config.maxAttempts,
    fairShare: fairShareOf(config),
  });
  runs.attachScheduler(dispatcher);
  const labProvisioner = overrides.labBackend ?? (await createLabBackend(config, coreLogger));
  const labs = new LabService(deps, labProvisioner, {
    logger: coreLogger,
    checkTimeoutMs: config.labCheckTimeoutSeconds * 1000,
    checkReadyTimeoutMs: config.labCheckReadySeconds * 1000,
  });
  const labReconciler = new LabReconciler(deps, labs.worker, {
    logger: coreLogger,
    intervalMs: config.labReconcileSeconds * 1000,
  });

  const adminPassword = config.adminPassword ?? (config.seedDemo ? DEMO_PASSWORD : undefined);
  const admin = await auth
    .bootstrap({ adminUsername: config.adminUsername, adminPassword, token: config.bootstrapToken })
    .catch((error: unknown) => {
      // A first admin password the policy refuses is a configuration error: say which setting.
      if (isAppError(error) && error.details?.['field'] === 'password')
        throw new ConfigError(`Invalid configuration:\n  adminPassword: ${error.message}`);
      throw error;
    });
  const demo = config.seedDemo ? await seedDemo(store, { auth, courses, assignments }) : { created: false };
  const stopWebhooks = startWebhookDelivery(
    deps.events,
    store,
    coreLogger,
    deps.clock.now,
    webhooks.delivery,
  );

  const ctx: ServerContext = {
    deps,
    auth,
    courses,
    assignments,
    runs,
    gradebook,
    dispatcher,
    labs,
    labProvisioner,
    labReconciler,
    executor,
    version: VERSION,
    secureCookies: config.secureCookies,
    publicUrl: config.publicUrl,
  };
  const app = await buildApp(ctx, logger as FastifyBaseLogger | false, { trustProxy: config.trustProxy });
  await dispatcher.start();
  // Resumes what a crash left half done (deploying, checking, destroying), then every interval.
  labReconciler.start();
  const address = await app.listen({ host: config.host, port: config.port });
  const url = config.publicUrl ?? address.replace('[::1]', 'localhost');
  coreLogger.info(
    { url, database: store.dialect, backend: executor.name, concurrency: config.concurrency },
    'Aperture is up',
  );

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000) =>
    (closing ??= (async () => {
      await app.close();
      await dispatcher.stop(graceMs);
      await labReconciler.stop();
      // Lab work in flight finishes or is cut off; either way the reconciler resumes it on the next start.
      await Promise.race([labs.worker.idle(), new Promise((done) => setTimeout(done, graceMs).unref())]);
      stopWebhooks();
      if (!overrides.labBackend) await closeLabBackend(labProvisioner);
      await executor.close();
      await store.close();
    })());
  return {
    app,
    ctx,
    url,
    close,
    bootstrap: {
      adminCreated: admin.created,
      adminPassword: admin.created ? adminPassword : undefined,
      demoCreated: demo.created,
    },
  };
}

/** The default back-off (core's identity/login-backoff.ts) with the configured thresholds. */
function loginBackoffFromConfig(config: ServerConfig): LoginBackoffPolicy {
  return {
    pair: { ...DEFAULT_LOGIN_BACKOFF.pair, threshold: config.loginFailuresPerAccountAndAddress },
    account: { ...DEFAULT_LOGIN_BACKOFF.account, threshold: config.loginFailuresPerAccount },
    address: { ...DEFAULT_LOGIN_BACKOFF.address, threshold: config.loginFailuresPerAddress },
  };
}

/** The configured backend. The REST API is the default: it keeps the Podman CLI off each run's path. */
async function createExecutor(config: ServerConfig, logger: Logger): Promise<RunExecutor> {
  const options = {
    podmanPath: config.podmanPath,
    instance: config.instance,
    imagePrefix: config.imagePrefix,
    poolSize: config.poolSize,
    poolLanguages: config.poolLanguages
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    logger,
  };
  if (config.backend === 'kubernetes') return createKubernetesExecutor(config, logger);
  if (config.backend === 'podman-cli') return PodmanRunExecutor.create(options);
  return PodmanApiRunExecutor.create(
    config.podmanSocket ? { ...options, socketPath: config.podmanSocket } : options,
  );
}

/** Placement strings are checked here, so a typo stops the start with a message naming it. */
async function createKubernetesExecutor(config: ServerConfig, logger: Logger): Promise<RunExecutor> {
  const k8s = await import('@aperture/backend-kubernetes');
  let placement: Pick<
    Parameters<typeof k8s.KubernetesRunExecutor.create>[0],
    'nodeSelector' | 'tolerations' | 'defaultArchitectures' | 'runSeccompProfile'
  >;
  try {
    placement = {
      nodeSelector: k8s.parseNodeSelector(config.k8sNodeSelector),
      tolerations: k8s.parseTolerations(config.k8sTolerations),
      ...(config.k8sArchitectures !== undefined
        ? { defaultArchitectures: k8s.parseArchitectures(config.k8sArchitectures) }
        : {}),
      ...(config.k8sRunSeccompProfile
        ? { runSeccompProfile: k8s.parseSeccompProfile(config.k8sRunSeccompProfile) }
        : {}),
    };
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${(error as Error).message}`);
  }
  return k8s.KubernetesRunExecutor.create({
    kubeConfig: k8s.loadKubeConfig({ kubeconfig: config.kubeconfig, context: config.kubeContext }),
    namespace: config.k8sNamespace,
    instance: config.instance,
    imagePrefix: config.imagePrefix,
    imagePullPolicy: config.k8sImagePullPolicy,
    priorityClassName: config.k8sPriorityClass === 'none' ? undefined : config.k8sPriorityClass,
    runtimeClassName: config.k8sRuntimeClass,
    ...placement,
    logger,
  });
}

export const DEMO_LOGINS = { course: DEMO_COURSE, password: DEMO_PASSWORD, users: DEMO_USERS };
