import {
  type ApiConstructor,
  type ApiType,
  createConfiguration,
  type KubeConfig,
  type Middleware,
  ServerConfiguration,
} from '@kubernetes/client-node';

/**
 * `kubeConfig.makeApiClient(Api)`, plus a deadline on every request: a doctor pointed at an address
 * that drops packets must answer in seconds, not after the kernel's connect timeout.
 */
export function makeApiClient<T extends ApiType>(
  kubeConfig: KubeConfig,
  api: ApiConstructor<T>,
  timeoutMs: number,
): T {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const deadline: Middleware = {
    pre: async (context) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return context;
    },
    post: async (response) => response,
  };
  return new api(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kubeConfig },
      promiseMiddleware: [deadline],
    }),
  );
}
