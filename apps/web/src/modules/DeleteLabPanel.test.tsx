// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LabDetail } from '../api/types.ts';
import { fakeFetch, renderWithProviders } from '../testing/render.tsx';
import { DeleteLabPanel } from './DeleteLabPanel.tsx';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const detail = (deployments: Array<{ id: string; kind: string; state: string }>) =>
  ({ lab: { id: 'lab_1', name: 'webserver' }, dev: null, versions: [], deployments }) as unknown as LabDetail;

describe('DeleteLabPanel', () => {
  it('is offered only once no course deployment lives, naming the one to destroy first', () => {
    vi.stubGlobal('fetch', fakeFetch({}).fetch);
    renderWithProviders(
      <DeleteLabPanel
        course="DEMO101"
        detail={detail([
          { id: 'ldp_live', kind: 'course', state: 'active' },
          { id: 'ldp_dev', kind: 'dev', state: 'active' },
        ])}
      />,
    );
    expect(screen.getByRole('button', { name: 'Delete lab' }).hasAttribute('disabled')).toBe(true);
    expect(screen.getByText(/Destroy its course deployment first \(ldp_live\)/)).toBeTruthy();
  });

  it('deletes after the lab’s name is typed, and shows the server’s refusal', async () => {
    const fake = fakeFetch({
      'DELETE /api/v1/labs/lab_1': [
        409,
        { error: { code: 'conflict', message: 'Version 3f2a9c1b7e4d of webserver is being checked.' } },
      ],
    });
    vi.stubGlobal('fetch', fake.fetch);
    renderWithProviders(
      <DeleteLabPanel
        course="DEMO101"
        detail={detail([{ id: 'ldp_old', kind: 'course', state: 'destroyed' }])}
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Delete lab' }));
    const confirm = await screen.findByRole('button', { name: 'Delete the lab' });
    expect(confirm.hasAttribute('disabled')).toBe(true);
    fireEvent.change(screen.getByLabelText(/Type the lab's name/), { target: { value: 'webserver' } });
    expect(confirm.hasAttribute('disabled')).toBe(false);
    fireEvent.click(confirm);
    await waitFor(() => expect(fake.calls.some((c) => c.method === 'DELETE')).toBe(true), { timeout: 5_000 });
    expect(await screen.findByText(/is being checked/, {}, { timeout: 5_000 })).toBeTruthy();
  });
});
