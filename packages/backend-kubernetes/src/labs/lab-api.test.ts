import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KubernetesPermissionError } from '../api-errors.ts';
import { explain } from './lab-api.ts';
import { describeLabPermissions, LAB_PERMISSIONS } from './lab-permissions.ts';

const forbidden = (message: string) =>
  new ApiException(403, 'Forbidden', JSON.stringify({ kind: 'Status', reason: 'Forbidden', message }), {});

describe('explain', () => {
  it('names the permission RBAC denied', () => {
    const error = explain(
      forbidden(
        'networkpolicies.networking.k8s.io "default-deny" is forbidden: User "system:serviceaccount:aperture:aperture" cannot patch resource "networkpolicies" in API group "networking.k8s.io" in the namespace "lab-x"',
      ),
      'patch',
      'networkpolicies',
      'lab-x',
    );
    expect(error).toBeInstanceOf(KubernetesPermissionError);
    expect((error as Error).message).toMatch(
      /may not patch networkpolicies\.networking\.k8s\.io in namespace lab-x/,
    );
  });

  it('a server-side apply refused its create names create, not patch', () => {
    const error = explain(
      forbidden(
        'namespaces "lab-x" is forbidden: User "u" cannot create resource "namespaces" in API group "" at the cluster scope',
      ),
      'patch',
      'namespaces',
      'lab-x',
    );
    expect((error as KubernetesPermissionError).permission.verb).toBe('create');
  });

  it('leaves admission refusals (quota, PodSecurity) and other codes as they are', () => {
    const quota = forbidden(
      'services "web" is forbidden: exceeded quota: no-services, requested: services=1',
    );
    expect(explain(quota, 'patch', 'services', 'lab-x')).toBe(quota);
    const missing = new ApiException(404, 'Not Found', '{}', {});
    expect(explain(missing, 'patch', 'services', 'lab-x')).toBe(missing);
  });
});

describe('LAB_PERMISSIONS', () => {
  it('are cluster-wide, and cover apply (create + patch) and listing of every kind', () => {
    expect(LAB_PERMISSIONS.every((p) => p.scope === 'cluster')).toBe(true);
    const names = describeLabPermissions();
    for (const name of ['create namespaces', 'patch namespaces', 'delete namespaces', 'list pods'])
      expect(names).toContain(name);
    expect(names).toContain('patch deployments.apps');
    expect(names).toContain('create networkpolicies.networking.k8s.io');
    expect(new Set(names).size).toBe(names.length);
  });
});
