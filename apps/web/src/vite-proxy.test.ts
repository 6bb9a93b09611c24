import { describe, expect, it } from 'vitest';
import config from '../vite.config.ts';

/**
 * `npm run dev` serves the UI on :5173 and must forward every path the server answers that the
 * UI reaches: the API (with its WebSockets: lab terminals and desktops), the lab HTTP proxy and
 * the signed lab links it redirects a browser to.
 */
describe('vite dev proxy', () => {
  const proxy =
    (config as { server?: { proxy?: Record<string, string | { ws?: boolean }> } }).server?.proxy ?? {};
  const forwards = (path: string) => Object.keys(proxy).some((prefix) => path.startsWith(prefix));

  it('forwards the API (WebSockets included), the lab proxy and the lab links', () => {
    expect(proxy['/api']).toMatchObject({ ws: true });
    expect(proxy['/lab-sessions']).toMatchObject({ ws: true });
    for (const path of [
      '/api/v1/me',
      '/labs/ldp_1/usr_1/web/8080/',
      '/lab-sessions/eyJhIjoxfQ.mac/index.html',
      '/healthz',
    ])
      expect(forwards(path), path).toBe(true);
  });
});
