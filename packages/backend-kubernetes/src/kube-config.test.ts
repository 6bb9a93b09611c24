import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeConfigError, loadKubeConfig } from './kube-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'aperture-kubeconfig-'));
const file = join(dir, 'config');
writeFileSync(
  file,
  `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://10.0.0.1:6443" } }]
users: [{ name: u, user: { token: t } }]
contexts:
  - { name: one, context: { cluster: c, user: u } }
  - { name: two, context: { cluster: c, user: u } }
current-context: one
`,
);

describe('loadKubeConfig', () => {
  it('loads a kubeconfig file and switches context', () => {
    expect(loadKubeConfig({ kubeconfig: file }).getCurrentContext()).toBe('one');
    expect(loadKubeConfig({ kubeconfig: file, context: 'two' }).getCurrentContext()).toBe('two');
    expect(loadKubeConfig({ kubeconfig: file }).getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
  });

  it('says what is wrong: a missing file, an unknown context, no cluster at all', () => {
    expect(() => loadKubeConfig({ kubeconfig: join(dir, 'nope') })).toThrow(/does not exist/);
    expect(() => loadKubeConfig({ kubeconfig: file, context: 'three' })).toThrow(
      /no context "three" \(it has: one, two\)/,
    );
    const empty = join(dir, 'empty');
    writeFileSync(empty, 'apiVersion: v1\nkind: Config\n');
    expect(() => loadKubeConfig({ kubeconfig: empty })).toThrow(KubeConfigError);
  });
});
