// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, renderWithProviders } from '../testing/render.tsx';
import { NewLabForm } from './NewLabForm.tsx';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const TYPES = [{ type: 'webserver', description: 'nginx and a shell' }];

describe('NewLabForm', () => {
  it('validates pasted YAML and lists every problem with its field', async () => {
    const fake = fakeFetch({
      'GET /api/v1/labs/types': [200, TYPES],
      'POST /api/v1/labs/validate': [
        200,
        {
          valid: false,
          errors: [
            { path: 'spec.components[0].ports[0].port', message: 'must be 1–65535' },
            { path: 'metadata.name', message: 'not a DNS label' },
          ],
        },
      ],
    });
    vi.stubGlobal('fetch', fake.fetch);
    renderWithProviders(<NewLabForm course="DEMO101" onCreated={() => undefined} />);
    fireEvent.click(screen.getByText('Paste YAML'));
    fireEvent.change(screen.getByLabelText(/Lab template/), { target: { value: 'apiVersion: x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Validate' }));
    const list = await screen.findByTestId('lab-problems');
    expect(list.textContent).toContain('spec.components[0].ports[0].port: must be 1–65535');
    expect(list.textContent).toContain('metadata.name: not a DNS label');
    expect(fake.calls.find((c) => c.method === 'POST')?.body).toEqual({ text: 'apiVersion: x' });
  });

  it('creates from a built-in type and shows a budget problem under its field', async () => {
    const fake = fakeFetch({
      'GET /api/v1/labs/types': [200, TYPES],
      'POST /api/v1/courses/DEMO101/labs': [
        400,
        {
          error: {
            code: 'validation_failed',
            message: 'Invalid lab template: spec.resources.cpu: not a quantity',
            details: {
              field: 'spec.resources.cpu',
              errors: [{ path: 'spec.resources.cpu', message: 'not a quantity' }],
            },
          },
        },
      ],
    });
    vi.stubGlobal('fetch', fake.fetch);
    const created = vi.fn();
    renderWithProviders(<NewLabForm course="DEMO101" onCreated={created} />);
    fireEvent.change(screen.getByLabelText('CPU'), { target: { value: 'lots' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create lab' }));
    await waitFor(() => expect(screen.getAllByText(/not a quantity/).length).toBeGreaterThan(1));
    expect(fake.calls.find((c) => c.method === 'POST')?.body).toEqual({
      type: 'webserver',
      cpu: 'lots',
      memory: '1Gi',
      storage: '1Gi',
    });
    expect(created).not.toHaveBeenCalled();
  });
});
