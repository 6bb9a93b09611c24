// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LabDetail, LabVersion } from '../api/types.ts';
import { fakeFetch, renderWithProviders } from '../testing/render.tsx';
import { LabVersions } from './LabVersions.tsx';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const version = (id: string, overrides: Partial<LabVersion>): LabVersion =>
  ({
    id: `sha256:${id.repeat(64).slice(0, 64)}`,
    labId: 'lab_1',
    state: 'draft',
    checkResults: null,
    createdAt: '2026-12-01T10:00:00.000Z',
    ...overrides,
  }) as LabVersion;

const detail = (versions: LabVersion[]) =>
  ({ lab: { id: 'lab_1', name: 'webserver' }, dev: null, versions, deployments: [] }) as unknown as LabDetail;

describe('LabVersions', () => {
  it('offers Publish for drafts and failed checks, Deploy for published versions, with each check’s result', async () => {
    const fake = fakeFetch({ 'POST /api/v1/labs/lab_1/deployments': [202, {}] });
    vi.stubGlobal('fetch', fake.fetch);
    const versions = [
      version('a', {
        state: 'published',
        checkResults: [
          {
            index: 0,
            component: 'web',
            kind: 'http',
            ok: true,
            message: 'GET web:8080/ → 200',
            durationMs: 12,
          },
        ],
      }),
      version('b', {
        state: 'check_failed',
        checkResults: [
          {
            index: 0,
            component: 'web',
            kind: 'http',
            ok: false,
            message: 'GET web:8080/ → 502',
            durationMs: 40,
          },
        ],
      }),
      version('c', { state: 'checking' }),
    ];
    renderWithProviders(<LabVersions detail={detail(versions)} canEdit />);
    const rows = screen.getAllByTestId('lab-version');
    expect(rows.map((r) => r.getAttribute('data-state'))).toEqual(['published', 'check_failed', 'checking']);
    expect(within(rows[0]!).queryByRole('button', { name: 'Publish' })).toBeNull();
    expect(within(rows[1]!).getByRole('button', { name: 'Publish' })).toBeTruthy();
    expect(within(rows[2]!).queryByRole('button', { name: /Publish|Deploy/ })).toBeNull();
    const results = screen.getAllByTestId('check-results');
    expect(results[0]!.textContent).toContain('✓ http on web: GET web:8080/ → 200');
    expect(results[1]!.textContent).toContain('✗ http on web: GET web:8080/ → 502');
    fireEvent.click(within(rows[0]!).getByRole('button', { name: 'Deploy to course' }));
    await waitFor(() =>
      expect(fake.calls.find((c) => c.method === 'POST')?.body).toEqual({ version: versions[0]!.id }),
    );
  });

  it('shows no changing buttons to staff who may only read', () => {
    renderWithProviders(<LabVersions detail={detail([version('a', { state: 'draft' })])} canEdit={false} />);
    expect(screen.queryByRole('button', { name: 'Checkpoint' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Publish' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Diff' })).toBeTruthy();
  });
});
