// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LabDetail } from '../api/types.ts';
import { fakeFetch, renderWithProviders } from '../testing/render.tsx';
import { LabDevPanel } from './LabDevPanel.tsx';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const devTemplate = {
  apiVersion: 'aperture.dev/v1alpha1',
  kind: 'LabTemplate',
  metadata: { name: 'webserver' },
  spec: {
    resources: { cpu: '1', memory: '1Gi', storage: '1Gi' },
    components: [
      {
        name: 'web',
        kind: 'container',
        image: 'aperture/lab-nginx',
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
      { name: 'shell', kind: 'container', image: 'aperture/lab-shell', terminal: true },
    ],
  },
};

const detail = (state: string) =>
  ({
    lab: { id: 'lab_1', name: 'webserver', devTemplate },
    dev: {
      deployment: { id: 'ldp_dev' },
      students: [{ userId: 'usr_i', username: 'instructor', state, error: null }],
    },
    versions: [],
    deployments: [],
  }) as unknown as LabDetail;

describe('LabDevPanel', () => {
  it('opens the dev copy only once it is ready', () => {
    vi.stubGlobal('fetch', fakeFetch({}).fetch);
    renderWithProviders(<LabDevPanel detail={detail('deploying')} canEdit />);
    const terminal = screen.getByRole('link', { name: 'Open terminal (shell)' });
    expect(terminal.getAttribute('href')).toBe('/terminal/ldp_dev/usr_i/shell');
    expect(terminal.getAttribute('data-disabled')).toBe('true');
    expect(screen.getByTestId('lab-resources').textContent).toContain('CPU 1');
    // No "Create VM": the server has not said KubeVirt is there.
    expect(screen.queryByRole('button', { name: 'Create VM' })).toBeNull();
  });

  it('"Create container" adds a component to the dev template and applies it', async () => {
    const fake = fakeFetch({ 'PUT /api/v1/labs/lab_1/template': [200, detail('ready')] });
    vi.stubGlobal('fetch', fake.fetch);
    renderWithProviders(<LabDevPanel detail={detail('ready')} canEdit />);
    fireEvent.click(screen.getByRole('button', { name: 'Create container' }));
    fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: 'api' } });
    fireEvent.change(screen.getByLabelText(/^HTTP port/), { target: { value: '3000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add container' }));
    const puts = () => fake.calls.filter((c) => c.method === 'PUT');
    await waitFor(() => expect(puts()).toHaveLength(1));
    const body = puts()[0]!.body as { template: typeof devTemplate };
    expect(body.template.spec.components.map((c) => c.name)).toEqual(['web', 'shell', 'api']);
    expect(body.template.spec.components[2]).toEqual({
      name: 'api',
      kind: 'container',
      image: 'aperture/lab-shell',
      ports: [{ name: 'http', port: 3000, protocol: 'TCP' }],
      terminal: true,
    });
  });

  it('"Create VM" only where the cluster has KubeVirt; it adds a vm component', async () => {
    const without = fakeFetch({
      'GET /api/v1/labs/capabilities': [
        200,
        { backend: 'kubernetes', kubevirt: false, volumeSnapshots: true },
      ],
    });
    vi.stubGlobal('fetch', without.fetch);
    renderWithProviders(<LabDevPanel detail={detail('ready')} canEdit />);
    await waitFor(() => expect(without.calls.map((c) => c.url)).toContain('/api/v1/labs/capabilities'));
    expect(screen.queryByRole('button', { name: 'Create VM' })).toBeNull();
    cleanup();

    const fake = fakeFetch({
      'GET /api/v1/labs/capabilities': [
        200,
        { backend: 'kubernetes', kubevirt: true, volumeSnapshots: false },
      ],
      'PUT /api/v1/labs/lab_1/template': [200, detail('ready')],
    });
    vi.stubGlobal('fetch', fake.fetch);
    renderWithProviders(<LabDevPanel detail={detail('ready')} canEdit />);
    fireEvent.click(await screen.findByRole('button', { name: 'Create VM' }));
    fireEvent.change(screen.getByLabelText(/^Name/), { target: { value: 'router' } });
    fireEvent.change(screen.getByLabelText(/^Disk image/), {
      target: { value: 'quay.io/containerdisks/debian:12' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Add VM' }));
    const puts = () => fake.calls.filter((c) => c.method === 'PUT');
    await waitFor(() => expect(puts()).toHaveLength(1));
    const body = puts()[0]!.body as { template: typeof devTemplate };
    expect(body.template.spec.components[2]).toEqual({
      name: 'router',
      kind: 'vm',
      image: 'quay.io/containerdisks/debian:12',
    });
  });
});
