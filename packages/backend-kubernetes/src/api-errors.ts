import { ApiException } from '@kubernetes/client-node';
import { describePermission, type Permission } from './permissions.ts';

/** The API server refused a call for lack of an RBAC permission; the message names it. */
export class KubernetesPermissionError extends Error {
  override name = 'KubernetesPermissionError';
  readonly code = 'kubernetes_forbidden';
  constructor(
    readonly permission: Permission,
    readonly namespace: string,
    serverMessage: string,
  ) {
    super(
      `Aperture's Kubernetes account may not ${describePermission(permission)} in namespace ${namespace} ` +
        `(needed for ${permission.why}). Apply deploy/rbac/ or grant it; \`aperture doctor\` checks every permission. ` +
        `The API server said: ${serverMessage}`,
    );
  }
}

/** The HTTP status of a failed client-node call, if it reached the API server. */
export function statusCode(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** The `message` of the Status object the API server sent, or the error's own text. */
export function apiMessage(error: unknown): string {
  if (!(error instanceof ApiException)) return (error as Error)?.message ?? String(error);
  let body: unknown = error.body;
  if (typeof error.body === 'string') {
    const text = error.body;
    try {
      body = JSON.parse(text);
    } catch {
      return text || `HTTP ${error.code}`;
    }
  }
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : `HTTP ${error.code}`;
}

/** The backend cannot start: the account lacks permissions it needs (named, from SelfSubjectAccessReviews). */
export class KubernetesPermissionsMissingError extends Error {
  override name = 'KubernetesPermissionsMissingError';
  readonly code = 'kubernetes_forbidden';
  constructor(
    readonly missing: readonly string[],
    readonly namespace: string,
  ) {
    super(
      `Aperture's Kubernetes account lacks ${missing.length === 1 ? 'a permission' : 'permissions'} it needs in namespace ${namespace}: ` +
        `${missing.join('; ')}. Apply deploy/rbac/ (or grant them); \`aperture doctor\` checks every permission.`,
    );
  }
}

/** The backend could not start for another reason (API server unreachable, namespace missing, …). */
export class KubernetesUnavailableError extends Error {
  override name = 'KubernetesUnavailableError';
  readonly code = 'kubernetes_unavailable';
}
