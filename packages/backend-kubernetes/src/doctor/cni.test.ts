import type { V1Node, V1NodeSystemInfo, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { detectCni, repository } from './cni.ts';

const pod = (...images: string[]): V1Pod => ({
  metadata: { namespace: 'kube-system' },
  spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
});

const node = (annotations: Record<string, string> = {}, extra: Partial<V1Node['status']> = {}): V1Node => ({
  metadata: { name: 'n', annotations },
  status: { ...extra },
});

describe('repository', () => {
  it.each([
    ['docker.io/calico/node:v3.27.0', 'calico/node'],
    ['quay.io/cilium/cilium:v1.15.1@sha256:abc', 'cilium/cilium'],
    ['calico/node', 'calico/node'],
    ['ghcr.io/flannel-io/flannel:v0.25.1', 'flannel-io/flannel'],
    ['localhost:5000/weaveworks/weave-kube:2.8.1', 'weaveworks/weave-kube'],
    ['registry.k8s.io/pause:3.10', 'pause'],
  ])('%s → %s', (image, expected) => expect(repository(image)).toBe(expected));
});

describe('detectCni', () => {
  it.each([
    [[pod('docker.io/calico/node:v3.27.0', 'docker.io/calico/cni:v3.27.0')], 'Calico'],
    [[pod('quay.io/cilium/cilium:v1.15.1')], 'Cilium'],
    [[pod('antrea/antrea-agent-ubuntu:v2.0.0')], 'Antrea'],
    [[pod('docker.io/cloudnativelabs/kube-router:v2.1.0')], 'kube-router'],
    [[pod('weaveworks/weave-kube:2.8.1', 'weaveworks/weave-npc:2.8.1')], 'Weave Net'],
  ])('finds an enforcing CNI from its agent image (%#)', (pods, name) => {
    expect(detectCni(pods, [])).toMatchObject({ found: [name], enforcing: true });
  });

  it('Flannel alone does not enforce; Canal (Calico + Flannel) does', () => {
    expect(detectCni([pod('ghcr.io/flannel-io/flannel:v0.25.1')], [])).toMatchObject({
      found: ['Flannel'],
      enforcing: false,
      canal: false,
    });
    const canal = detectCni([pod('docker.io/calico/node:v3.27.0', 'quay.io/coreos/flannel:v0.15.1')], []);
    expect(canal).toMatchObject({ enforcing: true, canal: true });
  });

  it('reads node annotations and the NetworkUnavailable condition when pods are out of sight', () => {
    expect(detectCni([], [node({ 'projectcalico.org/IPv4Address': '10.0.0.1/24' })]).found).toEqual([
      'Calico',
    ]);
    expect(detectCni([], [node({ 'io.cilium.network.ipv4-pod-cidr': '10.1.0.0/24' })]).found).toEqual([
      'Cilium',
    ]);
    expect(detectCni([], [node({ 'flannel.alpha.coreos.com/backend-type': 'vxlan' })])).toMatchObject({
      found: ['Flannel'],
      enforcing: false,
    });
    const weave = node(
      {},
      { conditions: [{ type: 'NetworkUnavailable', status: 'False', reason: 'WeaveIsUp' }] },
    );
    expect(detectCni([], [weave]).found).toEqual(['Weave Net']);
  });

  it('k3s: Flannel plus the policy controller built into k3s', () => {
    const k3s = node(
      { 'flannel.alpha.coreos.com/backend-type': 'vxlan' },
      { nodeInfo: { kubeletVersion: 'v1.31.4+k3s1' } as V1NodeSystemInfo },
    );
    expect(detectCni([], [k3s])).toMatchObject({ found: ['Flannel'], enforcing: true, k3s: true });
  });

  it('nothing recognisable: nothing found, not enforcing', () => {
    expect(detectCni([pod('registry.k8s.io/coredns/coredns:v1.11.1')], [node()])).toEqual({
      found: [],
      enforcing: false,
      canal: false,
      k3s: false,
    });
  });
});
