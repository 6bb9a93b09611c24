/**
 * Volume snapshots of labs, where the cluster has the snapshot API (external-snapshotter's
 * `snapshot.storage.k8s.io/v1` CRDs and controller) and a VolumeSnapshotClass.
 *
 * A checkpoint snapshots every claim of the dev copy: one VolumeSnapshot per claim in the dev
 * namespace, named from the version id, waited for until `readyToUse` (bounded). Its bound
 * VolumeSnapshotContent is then set to `deletionPolicy: Retain`, so the version's data outlives the
 * dev copy (deleting the dev namespace deletes the VolumeSnapshot, not the data). What the version
 * records per claim is a reference to that data: `csi://<driver>/<snapshotHandle>`.
 *
 * A PVC's `dataSource` must be in the claim's own namespace, so a student's copy gets, per claim,
 * a pre-provisioned VolumeSnapshotContent (cluster-scoped, `source.snapshotHandle` = the dev
 * snapshot's handle, `deletionPolicy: Retain`, so deleting it never deletes the dev snapshot's
 * data) bound to a VolumeSnapshot in the student's namespace, and the claim is rendered with that
 * VolumeSnapshot as its `dataSource`. The contents carry the lab labels: teardown and reset find
 * and delete them (they do not go with the namespace).
 */
import type { LabSnapshotRequest } from '@aperture/core';
import type {
  KubernetesObject,
  V1PersistentVolumeClaim,
  V1TypedLocalObjectReference,
} from '@kubernetes/client-node';
import { apiMessage, statusCode } from '../api-errors.ts';
import { sleep } from './concurrency.ts';
import type { LabKubernetesApi } from './lab-api.ts';
import { ANNOTATION_LAB_VERSION, labDeploymentSelector } from './lab-labels.ts';
import { resourceOfKind, SNAPSHOT_RESOURCES } from './lab-permissions.ts';
import { hashedName, labNamespaceName } from './names.ts';

export const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';
export const SNAPSHOT_API_VERSION = 'snapshot.storage.k8s.io/v1';
export const KUBEVIRT_GROUP = 'kubevirt.io';
const DEFAULT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';
const [CONTENT, SNAPSHOT, SNAPSHOT_CLASS] = SNAPSHOT_RESOURCES;

/** `snapshot.storage.k8s.io/v1` objects: CRDs, so client-node has no models for them. */
export interface VolumeSnapshot extends KubernetesObject {
  spec?: {
    volumeSnapshotClassName?: string;
    source: { persistentVolumeClaimName?: string; volumeSnapshotContentName?: string };
  };
  status?: {
    readyToUse?: boolean;
    boundVolumeSnapshotContentName?: string;
    error?: { message?: string; time?: string };
  };
}

export interface VolumeSnapshotContent extends KubernetesObject {
  spec?: {
    deletionPolicy?: 'Delete' | 'Retain';
    driver?: string;
    source?: { snapshotHandle?: string; volumeHandle?: string };
    volumeSnapshotRef?: { name?: string; namespace?: string };
    volumeSnapshotClassName?: string;
  };
  status?: { snapshotHandle?: string; readyToUse?: boolean };
}

export interface VolumeSnapshotClassObject extends KubernetesObject {
  driver: string;
  deletionPolicy?: string;
}

export interface VolumeSnapshotOptions {
  /** Which Aperture installation owns the objects (the lab labels' instance). */
  instance: string;
  namespacePrefix: string;
  /** A VolumeSnapshotClass by name; unset: the cluster's default one (annotation is-default-class). */
  snapshotClassName?: string;
  /** How long a checkpoint waits for each snapshot to be ready (default 5 min). */
  readyTimeoutMs?: number;
  pollIntervalMs?: number;
}

/** A snapshot's data as a version records it. */
export interface SnapshotData {
  driver: string;
  snapshotHandle: string;
}

export function snapshotReference(data: SnapshotData): string {
  return `csi://${data.driver}/${data.snapshotHandle}`;
}

export function parseSnapshotReference(reference: string): SnapshotData {
  const match = /^csi:\/\/([^/]+)\/(.+)$/.exec(reference);
  if (!match) throw new Error(`not a volume snapshot reference: ${reference}`);
  return { driver: match[1]!, snapshotHandle: match[2]! };
}

/** The dev copy's VolumeSnapshot of a claim for a version: `v-<12 hex>-<claim>-<hash>`. */
export function devSnapshotName(versionId: string, claim: string): string {
  return hashedName(['v', versionId.replace(/^sha256:/, '').slice(0, 12), claim], [versionId, claim]);
}

/** A student's pre-provisioned content for a claim: cluster-unique, since the namespace is. */
export function studentContentName(namespace: string, claim: string): string {
  return hashedName(['lab-snap', claim], [namespace, claim]);
}

/**
 * The objects a student's claim is restored from (apply order: content, then snapshot), and the
 * claim's `dataSource`. The VolumeSnapshot has the claim's name (another kind, so no clash).
 */
export function renderSnapshotRestore(
  namespace: string,
  labels: Record<string, string>,
  claim: string,
  reference: string,
): { objects: [VolumeSnapshotContent, VolumeSnapshot]; dataSource: V1TypedLocalObjectReference } {
  const data = parseSnapshotReference(reference);
  const content = studentContentName(namespace, claim);
  return {
    objects: [
      {
        apiVersion: SNAPSHOT_API_VERSION,
        kind: 'VolumeSnapshotContent',
        metadata: { name: content, labels },
        spec: {
          // Retain: deleting this copy (teardown, reset) never deletes the dev snapshot's data.
          deletionPolicy: 'Retain',
          driver: data.driver,
          source: { snapshotHandle: data.snapshotHandle },
          volumeSnapshotRef: { name: claim, namespace },
        },
      },
      {
        apiVersion: SNAPSHOT_API_VERSION,
        kind: 'VolumeSnapshot',
        metadata: { name: claim, namespace, labels },
        spec: { source: { volumeSnapshotContentName: content } },
      },
    ],
    dataSource: { apiGroup: SNAPSHOT_GROUP, kind: 'VolumeSnapshot', name: claim },
  };
}

export class LabVolumeSnapshots {
  private readonly readyTimeoutMs: number;
  private readonly pollIntervalMs: number;

  constructor(
    private readonly api: LabKubernetesApi,
    private readonly options: VolumeSnapshotOptions,
  ) {
    this.readyTimeoutMs = options.readyTimeoutMs ?? 300_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
  }

  /** Whether the cluster serves the snapshot API (one discovery request). */
  async served(): Promise<boolean> {
    return (await this.api.servedGroups()).has(SNAPSHOT_GROUP);
  }

  /** The class checkpoints use: the configured one, else the default; null when there is none. */
  async snapshotClass(): Promise<VolumeSnapshotClassObject | null> {
    const classes = (await this.api.list(SNAPSHOT_CLASS, '')) as VolumeSnapshotClassObject[];
    const { snapshotClassName } = this.options;
    if (snapshotClassName) {
      const named = classes.find((c) => c.metadata?.name === snapshotClassName);
      if (!named) throw new Error(`VolumeSnapshotClass ${snapshotClassName} (configured) does not exist`);
      return named;
    }
    return classes.find((c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true') ?? null;
  }

  /** Whether checkpoints can snapshot here: the API is served and a class is there. */
  async available(served?: boolean): Promise<boolean> {
    if (!(served ?? (await this.served()))) return false;
    try {
      return (await this.snapshotClass()) !== null;
    } catch {
      return false;
    }
  }

  /**
   * A snapshot of every claim of the student's copy, each waited for; null when the cluster cannot
   * snapshot. One that fails or is not ready in time is an error naming its claim, and the
   * snapshots this call made are deleted again (a checkpoint either has them all or fails).
   */
  async snapshotClaims(request: LabSnapshotRequest): Promise<Record<string, string> | null> {
    if (!(await this.served())) return null;
    const snapshotClass = await this.snapshotClass();
    if (!snapshotClass) return null;
    const namespace = labNamespaceName(
      this.options.namespacePrefix,
      request.deploymentId,
      request.student.id,
    );
    const claims = (await this.api.list(
      resourceOfKind('PersistentVolumeClaim'),
      labDeploymentSelector(this.options.instance, request.deploymentId),
      `metadata.namespace=${namespace}`,
    )) as V1PersistentVolumeClaim[];
    const made: string[] = [];
    try {
      const references: Record<string, string> = {};
      const names = claims.map((claim) => claim.metadata?.name ?? '').sort();
      const byClaim = new Map(claims.map((claim) => [claim.metadata?.name ?? '', claim]));
      // Started together, waited for together: the snapshots are of the same moment, near enough.
      for (const claim of names) {
        const labels = byClaim.get(claim)?.metadata?.labels ?? {};
        const name = devSnapshotName(request.versionId, claim);
        if (await this.createSnapshot(namespace, name, claim, labels, request.versionId, snapshotClass))
          made.push(name);
      }
      for (const claim of names) {
        references[claim] = snapshotReference(
          await this.ready(namespace, devSnapshotName(request.versionId, claim), claim),
        );
      }
      return references;
    } catch (error) {
      await Promise.all(made.map((name) => this.api.delete(SNAPSHOT, name, namespace).catch(() => false)));
      throw error;
    }
  }

  /** Deletes the student's pre-provisioned contents (they do not go with the namespace). */
  async deleteStudentContents(namespace: string, claims: readonly string[]): Promise<void> {
    for (const claim of claims) await this.api.delete(CONTENT, studentContentName(namespace, claim));
  }

  /** False when it existed already (a checkpoint of the same content that raced this one). */
  private async createSnapshot(
    namespace: string,
    name: string,
    claim: string,
    labels: Record<string, string>,
    versionId: string,
    snapshotClass: VolumeSnapshotClassObject,
  ): Promise<boolean> {
    const snapshot: VolumeSnapshot = {
      apiVersion: SNAPSHOT_API_VERSION,
      kind: 'VolumeSnapshot',
      metadata: { name, namespace, labels, annotations: { [ANNOTATION_LAB_VERSION]: versionId } },
      spec: {
        volumeSnapshotClassName: snapshotClass.metadata?.name ?? '',
        source: { persistentVolumeClaimName: claim },
      },
    };
    try {
      await this.api.create(snapshot);
      return true;
    } catch (error) {
      if (statusCode(error) === 409) return false;
      throw new Error(`volume ${claim}: the VolumeSnapshot could not be created: ${apiMessage(error)}`);
    }
  }

  /** Until `readyToUse`, then its content is kept (Retain) and its data returned. */
  private async ready(namespace: string, name: string, claim: string): Promise<SnapshotData> {
    const deadline = Date.now() + this.readyTimeoutMs;
    for (;;) {
      const snapshot = await this.api.get<VolumeSnapshot>(SNAPSHOT, name, namespace);
      if (!snapshot) throw new Error(`volume ${claim}: VolumeSnapshot ${namespace}/${name} disappeared`);
      const failure = snapshot.status?.error?.message;
      if (failure) throw new Error(`volume ${claim}: the snapshot failed: ${failure}`);
      const contentName = snapshot.status?.boundVolumeSnapshotContentName;
      if (snapshot.status?.readyToUse === true && contentName) return this.keep(contentName, claim);
      if (Date.now() >= deadline)
        throw new Error(
          `volume ${claim}: VolumeSnapshot ${namespace}/${name} was not ready to use after ${Math.round(this.readyTimeoutMs / 1000)} s`,
        );
      await sleep(this.pollIntervalMs);
    }
  }

  private async keep(contentName: string, claim: string): Promise<SnapshotData> {
    const content = await this.api.get<VolumeSnapshotContent>(CONTENT, contentName);
    const driver = content?.spec?.driver;
    const snapshotHandle = content?.status?.snapshotHandle ?? content?.spec?.source?.snapshotHandle;
    if (!driver || !snapshotHandle)
      throw new Error(
        `volume ${claim}: VolumeSnapshotContent ${contentName} has no driver or snapshot handle`,
      );
    if (content?.spec?.deletionPolicy !== 'Retain')
      await this.api.mergePatch({
        apiVersion: SNAPSHOT_API_VERSION,
        kind: 'VolumeSnapshotContent',
        metadata: { name: contentName },
        spec: { deletionPolicy: 'Retain' },
      });
    return { driver, snapshotHandle };
  }
}
