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
