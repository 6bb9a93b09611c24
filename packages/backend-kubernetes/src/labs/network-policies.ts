/**
 * The network of one student's lab namespace. NetworkPolicies are additive, so the namespace
 * starts from deny-all (both directions) and each further policy opens one thing:
 *
 *   allow-same-namespace  the lab's components talk to each other
 *   allow-from-aperture   Aperture's proxy reaches the lab (terminal, desktop, web ports)
 *   allow-dns             names resolve (kube-system's DNS pods, port 53)
 *   allow-internet        egress to public addresses, minus private, shared and link-local ranges
 *
 * No rule selects another namespace, so a student's lab reaches neither other students nor the
 * cluster's services; the ipBlock exceptions keep pod and node addresses (which live in private
 * ranges on kubeadm, k3s, Flannel and Cilium defaults) and the cloud metadata endpoint out of the
 * "internet". Only IPv4 is opened: on dual-stack clusters IPv6 egress stays denied, because pod
 * addresses there are often globally routable and could not be told from the internet.
 */
import type { V1LabelSelector, V1NetworkPolicy, V1NetworkPolicySpec } from '@kubernetes/client-node';

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

export function renderNetworkPolicies(
  namespace: string,
  labels: Record<string, string>,
  options: LabNetworkOptions,
): V1NetworkPolicy[] {
  const policy = (name: string, spec: V1NetworkPolicySpec): V1NetworkPolicy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels },
    spec,
  });
  const policies = [
    policy('default-deny', { podSelector: EVERY_POD, policyTypes: ['Ingress', 'Egress'] }),
    policy('allow-same-namespace', {
      podSelector: EVERY_POD,
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ _from: [{ podSelector: EVERY_POD }] }],
      egress: [{ to: [{ podSelector: EVERY_POD }] }],
    }),
    policy('allow-from-aperture', {
      podSelector: EVERY_POD,
      policyTypes: ['Ingress'],
      // One peer with both selectors: pods with these labels *in* namespaces with those (AND).
      ingress: [{ _from: [peerOf(options.proxy)] }],
    }),
    policy('allow-dns', {
      podSelector: EVERY_POD,
      policyTypes: ['Egress'],
      egress: [
        {
          to: [peerOf(options.dns)],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    }),
  ];
  if (options.internetEgress) {
    policies.push(
      policy('allow-internet', {
        podSelector: EVERY_POD,
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                ipBlock: {
                  cidr: '0.0.0.0/0',
                  except: [...BLOCKED_EGRESS_CIDRS, ...options.extraBlockedCidrs],
                },
              },
            ],
          },
        ],
      }),
    );
  }
  return policies;
}

function peerOf(peer: PodPeer) {
  return {
    namespaceSelector: { matchLabels: { ...peer.namespaceLabels } },
    podSelector: { matchLabels: { ...peer.podLabels } },
  };
}
