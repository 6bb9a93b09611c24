import { catalogLabTemplate } from '@aperture/core';
import { describe, expect, it } from 'vitest';
import { testRenderOptions } from '../testing/labs.ts';
import { claimName } from './names.ts';
import { renderStudentLab } from './render.ts';
import {
  devSnapshotName,
  parseSnapshotReference,
  snapshotReference,
  studentContentName,
} from './volume-snapshots.ts';

const shell = (() => {
  const result = catalogLabTemplate('shell', { cpu: '1', memory: '1Gi', storage: '1Gi' });
  if (!result.ok) throw new Error('catalog');
  return result.template;
})();
const home = claimName('shell', 'home');
const options = testRenderOptions('test', 'kwok');

describe('volume snapshot references and names', () => {
  it('a reference carries the driver and the handle (which may contain slashes)', () => {
    const reference = snapshotReference({ driver: 'hostpath.csi.k8s.io', snapshotHandle: 'a/b:c' });
    expect(reference).toBe('csi://hostpath.csi.k8s.io/a/b:c');
    expect(parseSnapshotReference(reference)).toEqual({
      driver: 'hostpath.csi.k8s.io',
      snapshotHandle: 'a/b:c',
    });
    expect(() => parseSnapshotReference('snap-1')).toThrow(/not a volume snapshot reference/);
  });

  it('names fit 63 characters and depend on the version (dev) or the namespace (student)', () => {
    const a = devSnapshotName(`sha256:${'a'.repeat(64)}`, home);
    expect(a).toMatch(/^v-aaaaaaaaaaaa-shell-home-/);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(devSnapshotName(`sha256:${'b'.repeat(64)}`, home)).not.toBe(a);
    expect(studentContentName('lab-x-alice', home)).not.toBe(studentContentName('lab-x-bob', home));
  });
});

describe('rendering a student copy from snapshots', () => {
  const input = { deploymentId: 'dep-1', studentId: 'alice', template: shell };

  it('without snapshots: claims start empty, no snapshot objects', () => {
    const { objects } = renderStudentLab(input, options);
    expect(objects.map((o) => o.kind)).not.toContain('VolumeSnapshot');
    const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim');
    expect(
      claim && 'spec' in claim ? (claim.spec as { dataSource?: unknown }).dataSource : 'none',
    ).toBeUndefined();
  });

  it('with a snapshot: its content and VolumeSnapshot come before the claim, which names it', () => {
    const reference = snapshotReference({ driver: 'd.csi', snapshotHandle: 'h-1' });
    const { namespace, objects } = renderStudentLab({ ...input, snapshots: { [home]: reference } }, options);
    const kinds = objects.map((o) => o.kind);
    expect(kinds.indexOf('VolumeSnapshotContent')).toBeLessThan(kinds.indexOf('VolumeSnapshot'));
    expect(kinds.indexOf('VolumeSnapshot')).toBeLessThan(kinds.indexOf('PersistentVolumeClaim'));
    const content = objects.find((o) => o.kind === 'VolumeSnapshotContent');
    expect(content).toMatchObject({
      metadata: { name: studentContentName(namespace, home) },
      spec: {
        deletionPolicy: 'Retain',
        driver: 'd.csi',
        source: { snapshotHandle: 'h-1' },
        volumeSnapshotRef: { name: home, namespace },
      },
    });
    expect(content?.metadata?.namespace).toBeUndefined();
    expect(content?.metadata?.labels?.['dev.aperture.deployment']).toBe('dep-1');
    const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim');
    expect(claim).toMatchObject({
      spec: { dataSource: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: home } },
    });
  });
});
