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
    renderWithProviders(<LabDevPanel detail={detail('deploying')} canEdit />);
    const terminal = screen.getByRole('link', { name: 'Open terminal (shell)' });
    expect(terminal.getAttribute('href')).toBe('/terminal/ldp_dev/usr_i/shell');
    expect(terminal.getAttribute('data-disabled')).toBe('true');
    expect(screen.getByTestId('lab-resources').textContent).toContain('CPU 1');
    // No "Create VM": the server cannot say KubeVirt is there.
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
    await waitFor(() => expect(fake.calls).toHaveLength(1));
    const body = fake.calls[0]!.body as { template: typeof devTemplate };
    expect(body.template.spec.components.map((c) => c.name)).toEqual(['web', 'shell', 'api']);
    expect(body.template.spec.components[2]).toEqual({
      name: 'api',
      kind: 'container',
      image: 'aperture/lab-shell',
      ports: [{ name: 'http', port: 3000, protocol: 'TCP' }],
      terminal: true,
    });
  });
});
