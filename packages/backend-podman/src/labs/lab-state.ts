/**
 * A student's state from what Podman has, pure: the containers, networks and stop markers listed
 * by label (three calls for the whole class). Podman keeps no "desired" count as a Deployment
 * does, so each container records all components of its version, and a component without a
 * container is one that should exist.
 */

import { LABEL_LAB_COMPONENT } from '@aperture/backend-kubernetes';
import type { LabComponentStatus, LabStudent, StudentLabState, StudentLabStatus } from '@aperture/core';
import { LABEL_LAB_COMPONENTS, LABEL_LAB_VERSION, LABEL_STUDENT_ID } from './lab-objects.ts';

export interface ListedContainer {
  Id: string;
  Names: string[];
  Labels: Record<string, string> | null;
  /** created, initialized, running, paused, stopping, exited, … */
  State: string;
  ExitCode: number;
}

export interface ListedNetwork {
  name: string;
  created: string;
  network_interface?: string;
  subnets?: { subnet: string; gateway?: string }[] | null;
  labels?: Record<string, string> | null;
}

export interface ListedVolume {
  Name: string;
  Labels: Record<string, string> | null;
}

export interface StateInput {
  containers: readonly ListedContainer[];
  networks: readonly ListedNetwork[];
  /** Stop markers (volumes labelled stopped). */
  markers: readonly ListedVolume[];
  /** Students asked for; those without objects are `missing`. */
  students?: readonly LabStudent[];
  environmentOf(studentId: string): string;
  now: number;
}

/** How long a copy may lack a container before that is a failure, not a deploy in progress. */
export const CREATING_GRACE_MS = 60_000;

export function studentStates(input: StateInput): StudentLabStatus[] {
  const ids = new Set<string>();
  for (const student of input.students ?? []) ids.add(student.id);
  for (const item of [...input.containers.map((c) => c.Labels), ...input.networks.map((n) => n.labels)]) {
    const id = item?.[LABEL_STUDENT_ID];
    if (id) ids.add(id);
  }
  const usernames = new Map((input.students ?? []).map((student) => [student.id, student.username]));
  return [...ids].map((id) => {
    const environment = input.environmentOf(id);
    const username = usernames.get(id);
    const student = username === undefined ? { id } : { id, username };
    const mine = <T>(list: readonly T[], labels: (item: T) => Record<string, string> | null | undefined) =>
      list.filter((item) => labels(item)?.[LABEL_STUDENT_ID] === id);
    return {
      student,
      environment,
      ...stateOf(
        mine(input.containers, (c) => c.Labels),
        mine(input.networks, (n) => n.labels)[0],
        mine(input.markers, (v) => v.Labels).length > 0,
        input.now,
      ),
    };
  });
}

function stateOf(
  containers: readonly ListedContainer[],
  network: ListedNetwork | undefined,
  stopped: boolean,
  now: number,
): { state: StudentLabState; components: LabComponentStatus[]; versionId?: string; message?: string } {
  if (containers.length === 0 && !network) return { state: 'missing', components: [] };
  const newest = containers.find((c) => c.Labels?.[LABEL_LAB_COMPONENTS]) ?? containers[0];
  const expected = (newest?.Labels?.[LABEL_LAB_COMPONENTS] ?? '').split(',').filter(Boolean);
  const names = [...new Set([...expected, ...containers.map((c) => c.Labels?.[LABEL_LAB_COMPONENT] ?? '?')])];
  const young = network ? now - Date.parse(network.created) < CREATING_GRACE_MS : false;
  const components = names.map((name) => {
    const container = containers.find((c) => c.Labels?.[LABEL_LAB_COMPONENT] === name);
    return componentOf(name, container, stopped, young);
  });
  const versionId = newest?.Labels?.[LABEL_LAB_VERSION];
  const failed = components.filter((c) => c.kind === 'failed');
  const state: StudentLabState =
    components.length === 0
      ? young
        ? 'starting'
        : 'failed'
      : failed.length > 0
        ? 'failed'
        : components.every((c) => c.kind === 'ready')
          ? 'ready'
          : components.every((c) => c.kind === 'stopped')
            ? 'stopped'
            : 'starting';
  const messages = components.flatMap((c) =>
    c.status.message ? [`${c.status.name}: ${c.status.message}`] : [],
  );
  const message =
    components.length === 0
      ? 'the network exists but no container was made'
      : messages.join('; ') || undefined;
  return {
    state,
    components: components.map((c) => c.status),
    ...(versionId ? { versionId } : {}),
    ...(message && state !== 'ready' && state !== 'stopped' ? { message } : {}),
  };
}

function componentOf(
  name: string,
  container: ListedContainer | undefined,
  stopped: boolean,
  young: boolean,
): { kind: 'ready' | 'starting' | 'failed' | 'stopped'; status: LabComponentStatus } {
  const status = (ready: number, message?: string): LabComponentStatus => ({
    name,
    desired: 1,
    ready,
    available: ready,
    ...(message ? { message } : {}),
  });
  if (!container) {
    if (stopped) return { kind: 'stopped', status: status(0, 'stopped') };
    return young
      ? { kind: 'starting', status: status(0, 'no container yet') }
      : { kind: 'failed', status: status(0, 'no container (the deploy could not make it)') };
  }
  switch (container.State) {
    case 'running':
      return { kind: 'ready', status: status(1) };
    case 'exited':
    case 'stopped':
      if (stopped) return { kind: 'stopped', status: status(0, 'stopped') };
      return { kind: 'failed', status: status(0, `exited with code ${container.ExitCode}`) };
    case 'created':
    case 'configured':
      // Made but never started (a start that failed leaves this), unless a deploy is at it now.
      if (!young && !stopped) return { kind: 'failed', status: status(0, 'created but not started') };
      return { kind: stopped ? 'stopped' : 'starting', status: status(0, container.State) };
    default:
      // initialized, paused, stopping, removing: on its way somewhere.
      return { kind: stopped ? 'stopped' : 'starting', status: status(0, container.State) };
  }
}
