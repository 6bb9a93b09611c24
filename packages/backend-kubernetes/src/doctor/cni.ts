import type { V1Node, V1Pod } from '@kubernetes/client-node';

/**
 * Which CNI a cluster runs, from what is visible with read access: the images of pods in the
 * namespaces CNIs install into, and the annotations and conditions CNI agents put on nodes.
 * NetworkPolicy objects are accepted by every API server; only the CNI decides whether they bite.
 */
export interface CniSignature {
  name: string;
  enforcesNetworkPolicy: boolean;
  /** The image's repository path, without registry and tag (`calico/node`, `flannel-io/flannel`). */
  image: RegExp;
  /** Prefixes of annotations the agent sets on every node. */
  nodeAnnotations?: string[];
  /** `reason` of the NetworkUnavailable node condition the agent sets when it is up. */
  conditionReason?: string;
}

export const CNI_SIGNATURES: readonly CniSignature[] = [
  {
    name: 'Calico',
    enforcesNetworkPolicy: true,
    image: /(^|\/)calico\/node$/,
    nodeAnnotations: ['projectcalico.org/'],
    conditionReason: 'CalicoIsUp',
  },
  {
    name: 'Cilium',
    enforcesNetworkPolicy: true,
    image: /(^|\/)cilium\/cilium$/,
    // The older agents used the second form.
    nodeAnnotations: ['network.cilium.io/', 'io.cilium.network.'],
    conditionReason: 'CiliumIsUp',
  },
  { name: 'Antrea', enforcesNetworkPolicy: true, image: /(^|\/)antrea-(agent-)?(ubuntu|ubi)$/ },
  { name: 'kube-router', enforcesNetworkPolicy: true, image: /(^|\/)kube-router$/ },
  {
    name: 'Weave Net',
    enforcesNetworkPolicy: true,
    image: /(^|\/)weave-(kube|npc)$/,
    conditionReason: 'WeaveIsUp',
  },
  {
    name: 'Flannel',
    enforcesNetworkPolicy: false,
    image: /(^|\/)flannel$/,
    nodeAnnotations: ['flannel.alpha.coreos.com/'],
  },
];

/** Where CNIs put their agents (kube-system for most; these for operator-based installs). */
export const CNI_NAMESPACES = ['kube-system', 'kube-flannel', 'calico-system', 'cilium'] as const;

export interface CniDetection {
  /** CNIs found, by name, each once; Canal shows as Calico + Flannel. */
  found: string[];
  enforcing: boolean;
  /** Calico's policy engine on Flannel's network. */
  canal: boolean;
  /**
   * k3s runs Flannel, plus kube-router's policy controller inside its own binary (no pod to see),
   * which enforces NetworkPolicy unless k3s was started with --disable-network-policy.
   */
  k3s: boolean;
}

export function detectCni(pods: readonly V1Pod[], nodes: readonly V1Node[]): CniDetection {
  const found = new Set<string>();
  const repositories = pods.flatMap(podImages).map(repository);
  for (const cni of CNI_SIGNATURES) {
    if (repositories.some((r) => cni.image.test(r))) found.add(cni.name);
    if (nodes.some((n) => nodeShows(n, cni))) found.add(cni.name);
  }
  const k3s = nodes.length > 0 && nodes.every((n) => /\+k3s/.test(n.status?.nodeInfo?.kubeletVersion ?? ''));
  const enforcing = k3s || CNI_SIGNATURES.some((c) => c.enforcesNetworkPolicy && found.has(c.name));
  return { found: [...found], enforcing, canal: found.has('Calico') && found.has('Flannel'), k3s };
}

function podImages(pod: V1Pod): string[] {
  const spec = pod.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.image ?? '');
}

/** `docker.io/calico/node:v3.27.0@sha256:…` → `calico/node`. */
export function repository(image: string): string {
  const withoutDigest = image.split('@')[0] ?? '';
  const parts = withoutDigest.split('/');
  const last = (parts.pop() ?? '').split(':')[0] ?? '';
  // A first part with a dot or a port is a registry host, not part of the repository path.
  if (parts.length > 0 && /[.:]|^localhost$/.test(parts[0] ?? '')) parts.shift();
  return [...parts, last].join('/');
}

function nodeShows(node: V1Node, cni: CniSignature): boolean {
  const keys = Object.keys(node.metadata?.annotations ?? {});
  if (cni.nodeAnnotations?.some((prefix) => keys.some((key) => key.startsWith(prefix)))) return true;
  const reason = cni.conditionReason;
  return (
    !!reason &&
    (node.status?.conditions ?? []).some((c) => c.type === 'NetworkUnavailable' && c.reason === reason)
  );
}
