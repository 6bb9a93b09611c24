/**
 * The network of one student's lab namespace: ONE NetworkPolicy, `lab-isolation`, selecting every
 * pod with both policy types. A policy that selects a pod for a direction denies that direction
 * except what one of its rules allows, and rules (and peers within a rule) are ORed, so this one
 * object is the default deny plus:
 *
 *   ingress  from the namespace's own pods (the components talk to each other)
 *            from Aperture's proxy pods (terminal, desktop, web ports)
 *   egress   to the namespace's own pods
 *            to kube-system's DNS pods, port 53 UDP and TCP
 *            to public IPv4 addresses, minus private, shared and link-local ranges (only when
 *            internet egress is on)
 *
 * It used to be five policies (default-deny, allow-same-namespace, allow-from-aperture,
 * allow-dns, allow-internet) with the same union; one object is one apply per student instead
 * of five (docs/benchmarks.md, "Labs on Kubernetes").
 *
 * No rule selects another namespace, so a student's lab reaches neither other students nor the
 * cluster's services; the ipBlock exceptions keep pod and node addresses (which live in private
 * ranges on kubeadm, k3s, Flannel and Cilium defaults) and the cloud metadata endpoint out of the
 * "internet". Only IPv4 is opened: on dual-stack clusters IPv6 egress stays denied, because pod
 * addresses there are often globally routable and could not be told from the internet.
 */
import type {
  V1LabelSelector,
  V1NetworkPolicy,
  V1NetworkPolicyEgressRule,
  V1NetworkPolicySpec,
} from '@kubernetes/client-node';

/**
 * RFC 1918, RFC 6598 shared address space (carrier-grade NAT, used by some CNIs and VPNs) and
 * RFC 3927 link-local, which holds the metadata address 169.254.169.254 of AWS, GCP and Azure.
 */
export const BLOCKED_EGRESS_CIDRS: readonly string[] = Object.freeze([
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16',
]);

export interface PodPeer {
  namespaceLabels: Readonly<Record<string, string>>;
  podLabels: Readonly<Record<string, string>>;
}

export interface LabNetworkOptions {
  /** Aperture's proxy pods: the only peer outside the namespace allowed in. */
  proxy: PodPeer;
  /** The cluster DNS; kube-system's `k8s-app=kube-dns` on kubeadm and k3s (CoreDNS keeps that label). */
  dns: PodPeer;
  /** Whether labs may reach the internet at all (an exam might not). */
  internetEgress: boolean;
  /** Further ranges to keep out, e.g. a cluster whose pod or node addresses are public. */
  extraBlockedCidrs: readonly string[];
}

export const DEFAULT_DNS_PEER: PodPeer = Object.freeze({
  namespaceLabels: Object.freeze({ 'kubernetes.io/metadata.name': 'kube-system' }),
  podLabels: Object.freeze({ 'k8s-app': 'kube-dns' }),
});

const EVERY_POD: V1LabelSelector = {};

export const LAB_NETWORK_POLICY = 'lab-isolation';

export function renderNetworkPolicies(
  namespace: string,
  labels: Record<string, string>,
  options: LabNetworkOptions,
): V1NetworkPolicy[] {
  const egress: V1NetworkPolicyEgressRule[] = [
    { to: [{ podSelector: EVERY_POD }] },
    {
      to: [peerOf(options.dns)],
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    },
  ];
  if (options.internetEgress)
    egress.push({
      to: [
        { ipBlock: { cidr: '0.0.0.0/0', except: [...BLOCKED_EGRESS_CIDRS, ...options.extraBlockedCidrs] } },
      ],
    });
  const spec: V1NetworkPolicySpec = {
    podSelector: EVERY_POD,
    policyTypes: ['Ingress', 'Egress'],
    // Two peers, ORed: any pod of this namespace; Aperture's proxy, whose one peer has both
    // selectors (pods with these labels *in* namespaces with those: AND).
    ingress: [{ _from: [{ podSelector: EVERY_POD }, peerOf(options.proxy)] }],
    egress,
  };
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: LAB_NETWORK_POLICY, namespace, labels },
      spec,
    },
  ];
}

function peerOf(peer: PodPeer) {
  return {
    namespaceSelector: { matchLabels: { ...peer.namespaceLabels } },
    podSelector: { matchLabels: { ...peer.podLabels } },
  };
}
