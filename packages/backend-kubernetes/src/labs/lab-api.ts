/**
 * The lab provisioner's only way to the API server: every request counted by verb and resource
 * (so "requests per student" can be measured), and a 403 for lack of RBAC turned into an error
 * naming the permission. Lists are cluster-wide by label and paged: one request per 500 objects
 * of the whole class, not one per student.
 */
import {
  ApisApi,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { apiMessage, KubernetesPermissionError, statusCode } from '../api-errors.ts';
import type { ApiRequestCounter } from '../api-request-counter.ts';
import { type LabResource, labPermissionOf, resourceOfKind } from './lab-permissions.ts';

export const FIELD_MANAGER = 'aperture';
/**
 * Idle stop owns only `spec.replicas` (0). A partial apply as `aperture` would give up every other
 * field `aperture` owns; a manager of its own leaves them, and deploy's forced apply of replicas 1
 * takes the field back.
 */
export const STOP_FIELD_MANAGER = 'aperture-idle-stop';
const PAGE_SIZE = 500;
/** RBAC's wording; admission (quota, PodSecurity) also answers 403 but is not about permissions. */
const RBAC_DENIAL = /\bcannot [a-z]+ resource\b/;

/** Exposes client-node's cached resource lookup, so it can be done (and counted) up front. */
class DiscoveringObjectApi extends KubernetesObjectApi {
  lookup(apiVersion: string, kind: string) {
    return this.resource(apiVersion, kind);
  }
}

export class LabKubernetesApi {
  private readonly objects: DiscoveringObjectApi;
  private readonly apis: ApisApi;
  /** apiVersions whose resource list client-node has fetched (and caches from then on). */
  private readonly discovered = new Map<string, Promise<unknown>>();

  constructor(
    kubeConfig: KubeConfig,
    private readonly requests: ApiRequestCounter,
  ) {
    this.objects = kubeConfig.makeApiClient(DiscoveringObjectApi);
    this.apis = kubeConfig.makeApiClient(ApisApi);
  }

  /** The API groups the server serves now (one discovery request, not cached: CRDs come and go). */
  async servedGroups(): Promise<Set<string>> {
    this.requests.count('get', 'discovery');
    const list = await this.apis.getAPIVersions();
    return new Set(list.groups.map((group) => group.name));
  }

  /** One object, or undefined when there is none. */
  async get<T extends KubernetesObject>(
    resource: LabResource,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    await this.discover(resource);
    const spec = objectHeader(resource, name, namespace);
    try {
      return (await this.call('get', resource, namespace ?? name, () => this.objects.read(spec))) as T;
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  }

  async create<T extends KubernetesObject>(object: T): Promise<T> {
    const resource = resourceOfKind(object.kind ?? '');
    await this.discover(resource);
    const where = object.metadata?.namespace ?? object.metadata?.name ?? '';
    return this.call('create', resource, where, () =>
      this.objects.create(object, undefined, undefined, FIELD_MANAGER),
    ) as Promise<T>;
  }

  /** A JSON merge patch of the fields given (not server-side apply: no field ownership taken). */
  async mergePatch<T extends KubernetesObject>(object: T): Promise<T> {
    const resource = resourceOfKind(object.kind ?? '');
    await this.discover(resource);
    const where = object.metadata?.namespace ?? object.metadata?.name ?? '';
    return this.call('patch', resource, where, () =>
      this.objects.patch(object, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch),
    ) as Promise<T>;
  }

  /** False when it was already gone. */
  async delete(resource: LabResource, name: string, namespace?: string): Promise<boolean> {
    await this.discover(resource);
    const spec = objectHeader(resource, name, namespace);
    try {
      await this.call('delete', resource, namespace ?? name, () => this.objects.delete(spec));
      return true;
    } catch (error) {
      if (statusCode(error) === 404) return false;
      throw error;
    }
  }

  /** Server-side apply as `manager` (default `aperture`), taking over fields others hold (force). */
  async apply<T extends KubernetesObject>(object: T, manager = FIELD_MANAGER): Promise<T> {
    const resource = resourceOfKind(object.kind ?? '');
    await this.discover(resource);
    const namespace = object.metadata?.namespace ?? object.metadata?.name ?? '';
    return this.call('patch', resource, namespace, () =>
      this.objects.patch(object, undefined, undefined, manager, true, PatchStrategy.ServerSideApply),
    );
  }

  /** Every object of a kind matching the selector, in all namespaces. */
  async list(
    resource: LabResource,
    labelSelector: string,
    fieldSelector?: string,
  ): Promise<KubernetesObject[]> {
    await this.discover(resource);
    const items: KubernetesObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('list', resource, '*', () =>
        this.objects.list(
          resource.apiVersion,
          resource.kind,
          undefined,
          undefined,
          undefined,
          undefined,
          fieldSelector,
          labelSelector,
          PAGE_SIZE,
          token,
        ),
      );
      // List items come without kind and apiVersion; the receipt needs them.
      items.push(
        ...page.items.map((item) => ({ ...item, kind: resource.kind, apiVersion: resource.apiVersion })),
      );
      token = page.metadata?._continue || undefined;
    } while (token);
    return items;
  }

  /** Deletes a namespace and, with it, everything in it. False when it was already gone. */
  async deleteNamespace(name: string): Promise<boolean> {
    const resource = resourceOfKind('Namespace');
    await this.discover(resource);
    try {
      await this.call('delete', resource, name, () =>
        this.objects.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
      );
      return true;
    } catch (error) {
      if (statusCode(error) === 404) return false;
      throw error;
    }
  }

  /**
   * client-node looks up a kind's resource name once per apiVersion (GET /api/v1, /apis/apps/v1);
   * done here, once, so the lookups are counted and concurrent students do not each repeat them.
   */
  private async discover(resource: LabResource): Promise<void> {
    let lookup = this.discovered.get(resource.apiVersion);
    if (!lookup) {
      this.requests.count('get', 'discovery');
      lookup = this.objects.lookup(resource.apiVersion, resource.kind);
      this.discovered.set(resource.apiVersion, lookup);
      // A failed lookup is tried again by the next caller.
      lookup.catch(() => this.discovered.delete(resource.apiVersion));
    }
    await lookup;
  }

  private async call<T>(
    verb: string,
    resource: LabResource,
    where: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    this.requests.count(verb, resource.resource);
    try {
      return await fn();
    } catch (error) {
      throw explain(error, verb, resource.resource, where);
    }
  }
}

/** A 403 from RBAC becomes a KubernetesPermissionError naming the lab permission. */
export function explain(error: unknown, verb: string, resource: string, where: string): unknown {
  if (statusCode(error) !== 403) return error;
  const message = apiMessage(error);
  if (!RBAC_DENIAL.test(message)) return error;
  // Server-side apply of a new object is authorised as a create as well as a patch.
  const denied = /\bcannot create resource\b/.test(message) ? 'create' : verb;
  const permission = labPermissionOf(denied, resource);
  return permission ? new KubernetesPermissionError(permission, where, message) : error;
}

function objectHeader(resource: LabResource, name: string, namespace: string | undefined) {
  return {
    apiVersion: resource.apiVersion,
    kind: resource.kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
  };
}
