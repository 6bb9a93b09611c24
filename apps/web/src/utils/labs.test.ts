import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client.ts';
import type { LabTemplate } from '../api/types.ts';
import {
  componentAccess,
  confirmsClassAction,
  idleExplanation,
  labLinks,
  labProblemsOf,
  labSocketUrl,
  problemsByField,
  shortVersion,
  withContainer,
} from './labs.ts';

const template: LabTemplate = {
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
        ports: [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
      },
    ],
  },
} as LabTemplate;

describe('lab helpers', () => {
  it('offers what a component has: terminal, desktop, TCP ports only', () => {
    expect(componentAccess(template.spec.components[0]!)).toEqual({
      name: 'web',
      terminal: false,
      vnc: false,
      httpPorts: [8080],
    });
    expect(
      componentAccess({ name: 'd', kind: 'container', image: 'x', terminal: true, vnc: { port: 5901 } }),
    ).toMatchObject({ terminal: true, vnc: true, httpPorts: [] });
  });

  it('builds page links, proxy links and WebSocket URLs with every part encoded', () => {
    const links = labLinks('ldp_1', 'usr 2', 'web');
    expect(links.terminal).toBe('/terminal/ldp_1/usr%202/web');
    expect(links.desktop).toBe('/desktop/ldp_1/usr%202/web');
    expect(links.web(8080)).toBe('/labs/ldp_1/usr%202/web/8080/');
    expect(
      labSocketUrl({ protocol: 'https:', host: 'a.example:8443' }, 'ldp_1', 'u', 'shell', 'terminal', {
        cols: 80,
        rows: 24,
      }),
    ).toBe(
      'wss://a.example:8443/api/v1/lab-deployments/ldp_1/students/u/components/shell/terminal?cols=80&rows=24',
    );
    expect(labSocketUrl({ protocol: 'http:', host: 'localhost' }, 'd', 'u', 'desk', 'vnc')).toBe(
      'ws://localhost/api/v1/lab-deployments/d/students/u/components/desk/vnc',
    );
  });

  it('confirms a whole-class action only with the exact lab name', () => {
    expect(confirmsClassAction('webserver', 'webserver')).toBe(true);
    expect(confirmsClassAction(' webserver ', 'webserver')).toBe(true);
    expect(confirmsClassAction('Webserver', 'webserver')).toBe(false);
    expect(confirmsClassAction('', 'webserver')).toBe(false);
  });

  it('reads template problems from a validation error and groups them by field', () => {
    const error = new ApiError(400, 'validation_failed', 'Invalid lab template', {
      field: 'spec.resources.cpu',
      errors: [
        { path: 'spec.resources.cpu', message: 'not a quantity' },
        { path: 'spec.resources.cpu', message: 'must be > 0' },
        { path: 'metadata.name', message: 'not a DNS label' },
        { nonsense: true },
      ],
    });
    const problems = labProblemsOf(error);
    expect(problems).toHaveLength(3);
    expect(problemsByField(problems).get('spec.resources.cpu')).toEqual(['not a quantity', 'must be > 0']);
    expect(labProblemsOf(new ApiError(403, 'forbidden', 'no'))).toEqual([]);
  });

  it('adds a container to the dev template without touching the rest', () => {
    const next = withContainer(template, {
      name: 'api',
      image: 'aperture/lab-shell',
      port: 3000,
      terminal: true,
    });
    expect(next.spec.components.map((c) => c.name)).toEqual(['web', 'api']);
    expect(next.spec.components[1]).toEqual({
      name: 'api',
      kind: 'container',
      image: 'aperture/lab-shell',
      ports: [{ name: 'http', port: 3000, protocol: 'TCP' }],
      terminal: true,
    });
    expect(template.spec.components).toHaveLength(1);
    expect(shortVersion(`sha256:${'ab'.repeat(32)}`)).toBe('abababababab');
  });
});

describe('idleExplanation', () => {
  const now = new Date('2026-12-01T12:00:00.000Z');
  const hours = (n: number) => n * 3_600_000;

  it('says when a ready copy stops and what counts as use', () => {
    const text = idleExplanation(
      {
        state: 'ready',
        lastAccessAt: '2026-12-01T11:00:00.000Z',
        idleStopAfterMs: hours(2),
        idleStopAt: '2026-12-01T13:00:00.000Z',
      },
      now,
    );
    expect(text).toBe(
      'Stops after 2 h unused: last used 1 hour ago, so it stops in 1 hour unless you type in a terminal, use the desktop or load its web pages.',
    );
  });

  it('says why a copy is stopped and that opening it starts it again', () => {
    const text = idleExplanation(
      { state: 'stopped', lastAccessAt: null, idleStopAfterMs: hours(2) + 30 * 60_000, idleStopAt: null },
      now,
    );
    expect(text).toBe(
      'Stopped after 2 h 30 min unused (not opened yet). Opening it starts it again; your files are kept.',
    );
  });

  it('says "any moment now" once the stop is due', () => {
    const text = idleExplanation(
      {
        state: 'ready',
        lastAccessAt: null,
        idleStopAfterMs: hours(2),
        idleStopAt: '2026-12-01T11:57:00.000Z',
      },
      now,
    );
    expect(text).toContain('so it stops any moment now unless');
  });

  it('says nothing while a copy is on its way', () => {
    expect(
      idleExplanation(
        { state: 'deploying', lastAccessAt: null, idleStopAfterMs: hours(2), idleStopAt: null },
        now,
      ),
    ).toBeUndefined();
  });
});
