import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, KUBERNETES_DEFAULT_CONCURRENCY, loadServerConfig } from './config.ts';

describe('server config', () => {
  it('sizes concurrency by backend unless it is given', () => {
    expect(loadServerConfig({}, {}).concurrency).toBe(availableParallelism());
    expect(loadServerConfig({ backend: 'kubernetes' }, {}).concurrency).toBe(KUBERNETES_DEFAULT_CONCURRENCY);
    expect(loadServerConfig({ backend: 'kubernetes', concurrency: 5 }, {}).concurrency).toBe(5);
  });

  it('reads the Kubernetes settings from the environment and checks them', () => {
    const config = loadServerConfig(
      {},
      {
        APERTURE_BACKEND: 'kubernetes',
        APERTURE_K8S_NAMESPACE: 'runs',
        APERTURE_K8S_TOLERATIONS: 'dedicated=runners:NoSchedule',
        APERTURE_K8S_IMAGE_PULL_POLICY: 'Never',
        APERTURE_K8S_RUN_SECCOMP_PROFILE: 'aperture/runner.json',
      },
    );
    expect(config).toMatchObject({
      backend: 'kubernetes',
      k8sNamespace: 'runs',
      k8sTolerations: 'dedicated=runners:NoSchedule',
      k8sImagePullPolicy: 'Never',
      k8sPriorityClass: 'aperture-runs',
      k8sRunSeccompProfile: 'aperture/runner.json',
    });
    expect(loadServerConfig({ backend: 'kubernetes' }, {}).k8sRunSeccompProfile).toBeUndefined();
    expect(() => loadServerConfig({ k8sNamespace: 'Not_A_Namespace' }, {})).toThrow(ConfigError);
    expect(() => loadServerConfig({ k8sImagePullPolicy: 'Sometimes' }, {})).toThrow(/k8sImagePullPolicy/);
  });
});
