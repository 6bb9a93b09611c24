// @vitest-environment happy-dom
import { cleanup, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeFetch, renderWithProviders } from '../testing/render.tsx';
import { MyLabsPage } from './MyLabsPage.tsx';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const lab = (overrides: Record<string, unknown>) => ({
  deploymentId: 'ldp_1',
  labId: 'lab_1',
  labName: 'webserver',
  courseId: 'c1',
  courseCode: 'DEMO101',
  kind: 'course',
  state: 'ready',
  lastAccessAt: null,
  idleStopAfterMs: 2 * 3_600_000,
  idleStopAt: new Date(Date.now() + 2 * 3_600_000).toISOString(),
  expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  openedBy: [],
  components: [
    { name: 'web', terminal: false, vnc: false, httpPorts: [8080] },
    { name: 'shell', terminal: true, vnc: false, httpPorts: [] },
  ],
  ...overrides,
});

describe('MyLabsPage', () => {
  it('offers what each component has, linking to the viewer’s own copy', async () => {
    vi.stubGlobal(
      'fetch',
      fakeFetch({
        'GET /api/v1/me': [200, { id: 'usr_me', username: 'student', role: 'user' }],
        'GET /api/v1/me/labs': [
          200,
          [
            lab({
              openedBy: [
                {
                  username: 'tess',
                  name: 'Tess Assistant',
                  component: 'shell',
                  kind: 'terminal',
                  at: new Date(Date.now() - 5 * 60_000).toISOString(),
                },
              ],
            }),
            lab({
              deploymentId: 'ldp_2',
              labName: 'desktop',
              state: 'deploying',
              components: [{ name: 'desktop', terminal: true, vnc: true, httpPorts: [] }],
            }),
          ],
        ],
      }).fetch,
    );
    renderWithProviders(<MyLabsPage />);
    const terminal = await screen.findByRole('link', { name: 'Open terminal (shell)' });
    expect(terminal.getAttribute('href')).toBe('/terminal/ldp_1/usr_me/shell');
    const web = screen.getByRole('link', { name: 'Open web :8080 (web)' });
    expect(web.getAttribute('href')).toBe('/labs/ldp_1/usr_me/web/8080/');
    expect(web.getAttribute('target')).toBe('_blank');
    // A copy still deploying cannot be opened yet.
    const desktop = screen.getByRole('link', { name: 'Open desktop (desktop)' });
    expect(desktop.getAttribute('href')).toBe('/desktop/ldp_2/usr_me/desktop');
    expect(desktop.getAttribute('data-disabled')).toBe('true');
    expect(terminal.getAttribute('data-disabled')).toBeNull();
    // What keeps the copy running, and when the lab ends.
    expect(screen.getAllByTestId('lab-idle')[0]!.textContent).toMatch(
      /^Stops after 2 h unused: not opened yet, so it stops in 2 hours/,
    );
    expect(screen.getAllByTestId('lab-expiry')[0]!.textContent).toMatch(/This lab ends in 30 days/);
    // Staff who looked in are shown to the copy's owner.
    expect(screen.getByTestId('lab-opened-by').textContent).toBe(
      'Tess Assistant (tess) opened a terminal of shell 5 minutes ago',
    );
  });

  it('says so when there is no lab', async () => {
    vi.stubGlobal(
      'fetch',
      fakeFetch({
        'GET /api/v1/me': [200, { id: 'usr_me', username: 'student', role: 'user' }],
        'GET /api/v1/me/labs': [200, []],
      }).fetch,
    );
    renderWithProviders(<MyLabsPage />);
    expect(await screen.findByText('No labs yet')).toBeTruthy();
  });
});
