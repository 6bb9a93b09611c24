/**
 * deploy/rbac/ for tests: the manifests as objects, what their rules grant, and `applyRbac`, which
 * installs them on a cluster under names of its own (so parallel runs do not collide) and hands
 * out a kubeconfig that acts as Aperture's ServiceAccount.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiException,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  loadAllYaml,
  RbacAuthorizationV1Api,
  type V1PolicyRule,
  type V1Role,
} from '@kubernetes/client-node';
import { accessAttributes } from '../doctor/facts.ts';
import { LAB_PERMISSIONS } from '../labs/lab-permissions.ts';
import { describePermission, type Permission, RUN_PERMISSIONS } from '../permissions.ts';

export const RBAC_DIR = fileURLToPath(new URL('../../../../deploy/rbac/', import.meta.url));

/** Names as deploy/rbac/ spells them. */
export const RBAC_NAMES = {
  runsNamespace: 'aperture-runs',
  platformNamespace: 'aperture',
  serviceAccount: 'aperture',
  role: 'aperture-runner',
  clusterRole: 'aperture-doctor',
  labsClusterRole: 'aperture-labs',
} as const;

/** The ClusterRole (and binding) of labs: cluster-wide rights runs do not need. */
export const LABS_FILE = 'clusterrole-labs.yaml';
/**
 * The labs' ValidatingAdmissionPolicy: names the real ServiceAccount and is cluster-wide, so
 * applyRbac leaves it out; lab-admission.k8s.test.ts installs it under names of its own.
 */
export const ADMISSION_FILE = 'admissionpolicy-labs.yaml';

export interface ManifestFile {
  file: string;
  objects: KubernetesObject[];
}

/** Every *.yaml of deploy/rbac/, in the order `kubectl apply -f deploy/rbac/` takes them. */
export function loadRbacManifests(dir = RBAC_DIR): ManifestFile[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => ({
      file,
      objects: (loadAllYaml(readFileSync(join(dir, file), 'utf8')) as KubernetesObject[]).filter(Boolean),
    }));
}

/**
 * `create jobs.batch`, … — one entry per (verb, group, resource) a rule list grants, spelled as
 * describePermission spells a Permission. Wildcards come out literally (`* pods`), so a test
 * comparing against permissions.ts fails on them.
 */
export function grantedPermissions(rules: readonly V1PolicyRule[]): string[] {
  const granted = new Set<string>();
  for (const rule of rules)
    for (const group of rule.apiGroups ?? [])
      for (const resource of rule.resources ?? [])
        for (const verb of rule.verbs) {
          const [name = '', subresource] = resource.split('/');
          granted.add(
            describePermission({
              group,
              resource: name,
              ...(subresource ? { subresource } : {}),
              verb,
              scope: 'namespace',
              neededBy: 'runs',
              why: '',
            }),
          );
        }
  return [...granted].sort();
}

export interface RbacFixture {
  runsNamespace: string;
  platformNamespace: string;
  serviceAccount: string;
  /** A kubeconfig for the same API server that authenticates as the ServiceAccount (a fresh token). */
  tokenKubeConfig(): Promise<KubeConfig>;
  /** Replaces the Role with one lacking `permission`; resolves once the authorizer has caught up. */
  removeRule(permission: Permission): Promise<void>;
  /** The same for the labs ClusterRole (a LAB_PERMISSION). */
  removeLabRule(permission: Permission): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * Applies deploy/rbac/ with `-<suffix>` on every name that is ours alone: both namespaces, the
 * ClusterRole and its binding. PriorityClasses are shared by everything on the cluster: created
 * when missing, never changed or removed. Resolves once every RUN_PERMISSION is in effect.
 */
export async function applyRbac(
  admin: KubeConfig,
  suffix: string,
  options: { labs?: boolean } = {},
): Promise<RbacFixture> {
  const names = {
    runsNamespace: `${RBAC_NAMES.runsNamespace}-${suffix}`,
    platformNamespace: `${RBAC_NAMES.platformNamespace}-${suffix}`,
    clusterRole: `${RBAC_NAMES.clusterRole}-${suffix}`,
    labsClusterRole: `${RBAC_NAMES.labsClusterRole}-${suffix}`,
  };
  // The labs ClusterRole only when asked: the runs tests show what the account can do without it.
  const objects = loadRbacManifests()
    .filter((m) => (options.labs || m.file !== LABS_FILE) && m.file !== ADMISSION_FILE)
    .flatMap((m) => m.objects.map((o) => renamed(o, names)));
  const api = KubernetesObjectApi.makeApiClient(admin);
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const user = `system:serviceaccount:${names.platformNamespace}:${RBAC_NAMES.serviceAccount}`;

  // Namespaces first: everything else lives in one (kubectl does the same by file order).
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  for (const ns of byKind('Namespace')) await api.create(ns);
  for (const pc of byKind('PriorityClass')) await createUnlessExists(api, pc);
  const rest = objects.filter((o) => o.kind !== 'Namespace' && o.kind !== 'PriorityClass');
  await Promise.all(rest.map((o) => api.create(o)));
  const granted = options.labs ? [...RUN_PERMISSIONS, ...LAB_PERMISSIONS] : RUN_PERMISSIONS;
  await untilAccess(admin, user, names.runsNamespace, granted, true);

  return {
    runsNamespace: names.runsNamespace,
    platformNamespace: names.platformNamespace,
    serviceAccount: RBAC_NAMES.serviceAccount,
    tokenKubeConfig: () => tokenKubeConfig(admin, names.platformNamespace, names.runsNamespace),
    async removeRule(permission) {
      const role = await rbac.readNamespacedRole({ name: RBAC_NAMES.role, namespace: names.runsNamespace });
      const body: V1Role = { ...role, rules: withoutPermission(role.rules ?? [], permission) };
      await rbac.replaceNamespacedRole({ name: RBAC_NAMES.role, namespace: names.runsNamespace, body });
      await untilAccess(admin, user, names.runsNamespace, [permission], false);
    },
    async removeLabRule(permission) {
      const role = await rbac.readClusterRole({ name: names.labsClusterRole });
      const body = { ...role, rules: withoutPermission(role.rules ?? [], permission) };
      await rbac.replaceClusterRole({ name: names.labsClusterRole, body });
      await untilAccess(admin, user, names.runsNamespace, [permission], false);
    },
    async cleanup() {
      await Promise.all([
        ignoreNotFound(core.deleteNamespace({ name: names.runsNamespace })),
        ignoreNotFound(core.deleteNamespace({ name: names.platformNamespace })),
        ignoreNotFound(rbac.deleteClusterRoleBinding({ name: names.clusterRole })),
        ignoreNotFound(rbac.deleteClusterRole({ name: names.clusterRole })),
        ignoreNotFound(rbac.deleteClusterRoleBinding({ name: names.labsClusterRole })),
        ignoreNotFound(rbac.deleteClusterRole({ name: names.labsClusterRole })),
      ]);
    },
  };
}

type Names = {
  runsNamespace: string;
  platformNamespace: string;
  clusterRole: string;
  labsClusterRole: string;
};

/** A copy of a deploy/rbac/ object under the fixture's names. */
export function renamed(object: KubernetesObject, names: Names): KubernetesObject {
  const copy = structuredClone(object) as KubernetesObject & {
    subjects?: Array<{ namespace?: string }>;
    roleRef?: { kind: string; name: string };
  };
  const namespace = (ns: string) =>
    ns === RBAC_NAMES.runsNamespace
      ? names.runsNamespace
      : ns === RBAC_NAMES.platformNamespace
        ? names.platformNamespace
        : ns;
  const meta = copy.metadata ?? {};
  if (copy.kind === 'Namespace' && meta.name) meta.name = namespace(meta.name);
  if (meta.namespace) meta.namespace = namespace(meta.namespace);
  // Cluster-scoped, so each test run needs its own names: aperture-doctor and aperture-labs.
  const clusterRole = (name: string) =>
    name === RBAC_NAMES.labsClusterRole ? names.labsClusterRole : names.clusterRole;
  if ((copy.kind === 'ClusterRole' || copy.kind === 'ClusterRoleBinding') && meta.name)
    meta.name = clusterRole(meta.name);
  if (copy.roleRef?.kind === 'ClusterRole') copy.roleRef.name = clusterRole(copy.roleRef.name);
  for (const subject of copy.subjects ?? [])
    if (subject.namespace) subject.namespace = namespace(subject.namespace);
  return copy;
}

/** The rules with one verb on one resource taken out (and a rule left without verbs dropped). */
export function withoutPermission(rules: readonly V1PolicyRule[], permission: Permission): V1PolicyRule[] {
  const resource = permission.subresource
    ? `${permission.resource}/${permission.subresource}`
    : permission.resource;
  const out: V1PolicyRule[] = [];
  for (const rule of rules) {
    const matches =
      (rule.apiGroups ?? []).includes(permission.group) && (rule.resources ?? []).includes(resource);
    if (!matches) {
      out.push(rule);
      continue;
    }
    // Split the matching resource off, so the rule's other resources keep every verb.
    const others = (rule.resources ?? []).filter((r) => r !== resource);
    if (others.length) out.push({ ...rule, resources: others });
    const verbs = rule.verbs.filter((v) => v !== permission.verb);
    if (verbs.length) out.push({ ...rule, resources: [resource], verbs });
  }
  return out;
}

async function tokenKubeConfig(admin: KubeConfig, platformNamespace: string, runsNamespace: string) {
  const core = admin.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    name: RBAC_NAMES.serviceAccount,
    namespace: platformNamespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error('the TokenRequest API returned no token');
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'aperture',
        server: cluster.server,
        skipTLSVerify: false,
        ...(cluster.caData ? { caData: cluster.caData } : {}),
        ...(cluster.caFile ? { caFile: cluster.caFile } : {}),
      },
    ],
    users: [{ name: RBAC_NAMES.serviceAccount, token }],
    contexts: [
      { name: 'aperture', cluster: 'aperture', user: RBAC_NAMES.serviceAccount, namespace: runsNamespace },
    ],
    currentContext: 'aperture',
  });
  return kc;
}

/**
 * RBAC changes reach the authorizer through an informer, a few milliseconds later: wait, asking
 * as the admin (SubjectAccessReview) on the ServiceAccount's behalf.
 */
async function untilAccess(
  admin: KubeConfig,
  user: string,
  namespace: string,
  permissions: readonly Permission[],
  allowed: boolean,
): Promise<void> {
  const authz = admin.makeApiClient(AuthorizationV1Api);
  const groups = [
    'system:serviceaccounts',
    `system:serviceaccounts:${user.split(':')[2]}`,
    'system:authenticated',
  ];
  const deadline = Date.now() + 15_000;
  for (;;) {
    const answers = await Promise.all(
      permissions.map((p) =>
        authz.createSubjectAccessReview({
          body: { spec: { user, groups, resourceAttributes: accessAttributes(p, namespace) } },
        }),
      ),
    );
    const pending = permissions.filter((_, i) => (answers[i]?.status?.allowed === true) !== allowed);
    if (pending.length === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `RBAC did not ${allowed ? 'grant' : 'revoke'} ${pending.map(describePermission).join(', ')} for ${user} in 15 s`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function createUnlessExists(api: KubernetesObjectApi, object: KubernetesObject): Promise<void> {
  try {
    await api.create(object);
  } catch (error) {
    if (!(error instanceof ApiException && error.code === 409)) throw error;
  }
}

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ApiException && error.code === 404)) throw error;
  }
}
