/**
 * What exists of a lab deployment on Podman, found by label (never remembered): containers,
 * networks, volumes and pods of one deployment, each checked again against the exact ids, so a
 * filter Podman reads differently can never widen a deletion to another deployment's objects.
 */

import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_MANAGED } from '@aperture/backend-kubernetes';
import type { LabObjectRef } from '@aperture/core';
import type { LabCli } from './lab-cli.ts';
import {
  belongsTo,
  deploymentFilters,
  environmentName,
  LABEL_DEPLOYMENT_ID,
  LABEL_STUDENT_ID,
  type LabScope,
} from './lab-objects.ts';
import type { ListedContainer, ListedNetwork, ListedVolume } from './lab-state.ts';

export interface NetworkAddress {
  bridge: string;
  gateway: string | undefined;
}

/** The bridge and the first IPv4 gateway of a listed network. */
export function addressOf(network: ListedNetwork): NetworkAddress {
  const gateway = (network.subnets ?? []).map((subnet) => subnet.gateway).find((g) => g && !g.includes(':'));
  return { bridge: network.network_interface ?? '', gateway };
}

export interface Snapshot {
  containers: ListedContainer[];
  /** Network name → its bridge on the host and its IPv4 gateway (the host's address on it). */
  networks: Map<string, NetworkAddress>;
  volumes: Set<string>;
}

const filters = (list: string[]) => list.flatMap((filter) => ['--filter', filter]);

export class LabInventory {
  constructor(
    private readonly cli: LabCli,
    private readonly scope: LabScope,
  ) {}

  /**
   * What exists of a deployment (or of one student in it), by label: three Podman calls. A deploy
   * reads it once for the class, not per student; a retry reads the student's again.
   */
  async snapshot(deploymentId: string, studentId?: string): Promise<Snapshot> {
    const extra = studentId ? [`label=${LABEL_STUDENT_ID}=${studentId}`] : [];
    const [containers, networks, volumes] = await Promise.all([
      this.listContainers(deploymentId, extra),
      this.listNetworks(deploymentId, extra),
      this.listVolumes(deploymentId, extra),
    ]);
    return {
      containers,
      networks: new Map(networks.map((network) => [network.name, addressOf(network)])),
      volumes: new Set(volumes.map((volume) => volume.Name)),
    };
  }

  async inventory(deploymentId: string): Promise<LabObjectRef[]> {
    const [containers, pods, volumes, networks] = await Promise.all([
      this.listContainers(deploymentId),
      this.cli
        .json<{ Name: string; Labels: Record<string, string> | null }[]>([
          'pod',
          'ps',
          ...filters(deploymentFilters(this.scope, deploymentId)),
          '--format',
          'json',
        ])
        .then((list) => list.filter((pod) => belongsTo(pod.Labels, this.scope, deploymentId))),
      this.listVolumes(deploymentId),
      this.listNetworks(deploymentId),
    ]);
    const environmentOf = (labels: Record<string, string> | null | undefined) => {
      const student = labels?.[LABEL_STUDENT_ID];
      return student ? environmentName(this.scope, deploymentId, student) : undefined;
    };
    const ref = (
      kind: string,
      name: string,
      labels: Record<string, string> | null | undefined,
    ): LabObjectRef => {
      const namespace = environmentOf(labels);
      return namespace ? { kind, namespace, name } : { kind, name };
    };
    return [
      ...containers.map((c) => ref('Container', c.Names[0] ?? c.Id, c.Labels)),
      ...pods.map((p) => ref('Pod', p.Name, p.Labels)),
      ...volumes.map((v) => ref('Volume', v.Name, v.Labels)),
      ...networks.map((n) => ({ kind: 'Network', name: n.name })),
    ];
  }

  async listContainers(deploymentId: string, extra: string[] = []): Promise<ListedContainer[]> {
    const listed = await this.cli.json<ListedContainer[]>([
      'ps',
      '--all',
      ...filters([...deploymentFilters(this.scope, deploymentId), ...extra]),
      '--format',
      'json',
    ]);
    return listed.filter((container) => belongsTo(container.Labels, this.scope, deploymentId));
  }

  async listVolumes(deploymentId: string, extra: string[] = []): Promise<ListedVolume[]> {
    const listed = await this.cli.json<ListedVolume[]>([
      'volume',
      'ls',
      ...filters([...deploymentFilters(this.scope, deploymentId), ...extra]),
      '--format',
      'json',
    ]);
    return listed.filter((volume) => belongsTo(volume.Labels, this.scope, deploymentId));
  }

  /** The student networks of every deployment of this instance (what the host firewall guards). */
  async listLabNetworks(): Promise<ListedNetwork[]> {
    const listed = await this.cli.json<ListedNetwork[]>([
      'network',
      'ls',
      ...filters([`label=${LABEL_MANAGED}=true`, `label=${LABEL_INSTANCE}=${this.scope.instance}`]),
      '--format',
      'json',
    ]);
    return listed.filter(
      (network) =>
        network.labels?.[LABEL_MANAGED] === 'true' &&
        network.labels[LABEL_INSTANCE] === this.scope.instance &&
        network.labels[LABEL_COMPONENT] === 'lab' &&
        Boolean(network.labels[LABEL_DEPLOYMENT_ID]),
    );
  }

  async listNetworks(deploymentId: string, extra: string[] = []): Promise<ListedNetwork[]> {
    const listed = await this.cli.json<ListedNetwork[]>([
      'network',
      'ls',
      ...filters([...deploymentFilters(this.scope, deploymentId), ...extra]),
      '--format',
      'json',
    ]);
    return listed.filter((network) => belongsTo(network.labels, this.scope, deploymentId));
  }
}
