import { describe, expect, it } from 'vitest';
import { checkLabTemplate } from './check-template.ts';
import type { LabComponent, LabTemplate } from './lab-template.ts';

function template(overrides: Partial<LabTemplate['spec']> = {}, name = 'webserver'): LabTemplate {
  return {
    apiVersion: 'aperture.dev/v1alpha1',
    kind: 'LabTemplate',
    metadata: { name },
    spec: {
      resources: { cpu: '1', memory: '1Gi', storage: '2Gi' },
      components: [
        {
          name: 'web',
          kind: 'container',
          image: 'aperture/lab-nginx',
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        },
        { name: 'shell', kind: 'container', image: 'aperture/lab-shell', terminal: true },
        { name: 'desktop', kind: 'container', image: 'aperture/lab-desktop', vnc: { port: 5901 } },
      ],
      checks: [{ component: 'web', http: { port: 8080, path: '/', status: 200 } }],
      lifetime: { idleStopAfter: '2h', expireAfter: '30d' },
      ...overrides,
    },
  };
}

const component = (extra: Partial<LabComponent> & { name: string }): LabComponent => ({
  kind: 'container',
  image: 'aperture/lab-shell',
  ...extra,
});

const paths = (t: LabTemplate) => checkLabTemplate(t).map((problem) => problem.path);

describe('checkLabTemplate', () => {
  it('accepts the DESIGN.md example', () => {
    expect(checkLabTemplate(template())).toEqual([]);
  });

  it('names the budget field and the numbers when the components ask for more CPU than it has', () => {
    const problems = checkLabTemplate(
      template({
        components: [
          component({ name: 'web', resources: { cpu: '1' } }),
          component({ name: 'shell', resources: { cpu: '500m' } }),
        ],
        checks: [],
      }),
    );
    expect(problems).toEqual([
      {
        path: 'spec.resources.cpu',
        message: 'the components ask for 1500m CPU together (web 1, shell 500m), more than the budget of 1',
      },
    ]);
  });

  it('says when the components that share the rest of the budget would get too little', () => {
    const [problem] = checkLabTemplate(
      template({
        resources: { cpu: '1', memory: '1Gi', storage: '0' },
        components: [
          component({ name: 'db', resources: { memory: '1020Mi' } }),
          component({ name: 'shell' }),
        ],
        checks: [],
      }),
    );
    expect(problem?.path).toBe('spec.resources.memory');
    expect(problem?.message).toContain('shell would get 4Mi memory each');
    expect(problem?.message).toContain('less than the minimum of 16Mi');
  });

  it('names the component field for an amount it cannot read', () => {
    const problems = checkLabTemplate(
      template({
        components: [component({ name: 'a', resources: { cpu: '0.5m', memory: 'lots' } })],
        checks: [],
      }),
    );
    expect(problems.map((problem) => problem.path)).toEqual([
      'spec.components[0].resources.cpu',
      'spec.components[0].resources.memory',
    ]);
    expect(problems[0]?.message).toBe('"0.5m" is not an amount of CPU (examples: 500m, 1, 2.5)');
  });

  it('refuses budgets it cannot read, of zero, or beyond any real lab', () => {
    const problems = checkLabTemplate(template({ resources: { cpu: '0', memory: '1Ei', storage: '-1' } }));
    expect(problems.map((problem) => problem.path)).toEqual([
      'spec.resources.cpu',
      'spec.resources.memory',
      'spec.resources.storage',
    ]);
    expect(problems[1]?.message).toBe('1Ei is more than the most one student may have (256Gi)');
  });

  it('sums the volumes against the storage budget', () => {
    const problems = checkLabTemplate(
      template({
        components: [
          component({ name: 'db', volumes: [{ name: 'data', mountPath: '/data', size: '1500Mi' }] }),
          component({ name: 'shell', volumes: [{ name: 'home', mountPath: '/home/student', size: '1Gi' }] }),
        ],
        checks: [],
      }),
    );
    expect(problems).toEqual([
      {
        path: 'spec.resources.storage',
        message:
          'the volumes need 2524Mi together (db/data 1500Mi, shell/home 1Gi), more than the budget of 2Gi',
      },
    ]);
  });

  it('wants component names, port names, port numbers, volume names and mount paths unique', () => {
    const t = template({
      components: [
        component({
          name: 'web',
          ports: [
            { name: 'http', port: 8080, protocol: 'TCP' },
            { name: 'http', port: 8081, protocol: 'TCP' },
            { name: 'alt', port: 8080, protocol: 'TCP' },
            { name: 'dns', port: 8080, protocol: 'UDP' },
          ],
          volumes: [
            { name: 'data', mountPath: '/data', size: '1Gi' },
            { name: 'data', mountPath: '/data', size: '1Gi' },
          ],
          writablePaths: ['/tmp', '/var/cache'],
          env: [
            { name: 'A', value: '1' },
            { name: 'A', value: '2' },
          ],
        }),
        component({ name: 'web' }),
      ],
      checks: [],
    });
    expect(paths(t)).toEqual([
      'spec.components[1].name',
      'spec.components[0].ports[1].name',
      'spec.components[0].ports[2].port',
      'spec.components[0].env[1].name',
      'spec.components[0].volumes[1].name',
      'spec.components[0].volumes[1].mountPath',
      'spec.components[0].writablePaths[0]',
    ]);
  });

  it('keeps the VNC port out of ports', () => {
    const t = template({
      components: [
        component({
          name: 'desktop',
          vnc: { port: 5901 },
          ports: [{ name: 'vnc', port: 5901, protocol: 'TCP' }],
        }),
      ],
      checks: [],
    });
    expect(checkLabTemplate(t)).toEqual([
      {
        path: 'spec.components[0].vnc.port',
        message: 'port 5901 is also listed in ports[0]; list it once, under vnc',
      },
      { path: 'spec.components[0].ports[0].name', message: 'the port name "vnc" is taken by vnc.port' },
    ]);
  });

  it('wants every check to name a component and a TCP port it has', () => {
    const t = template({
      checks: [
        { component: 'nope', tcp: { port: 1 } },
        { component: 'web', http: { port: 9090, path: '/', status: 200 } },
        { component: 'shell', tcp: { port: 22 } },
        { component: 'desktop', tcp: { port: 5901 } },
        { component: 'shell', exec: { command: ['true'] } },
      ],
    });
    expect(checkLabTemplate(t)).toEqual([
      {
        path: 'spec.checks[0].component',
        message: 'no component is named "nope" (the components: web, shell, desktop)',
      },
      {
        path: 'spec.checks[1].http.port',
        message: 'web does not expose TCP port 9090 (its TCP ports: 8080)',
      },
      { path: 'spec.checks[2].tcp.port', message: 'shell does not expose TCP port 22 (it has no TCP ports)' },
    ]);
  });

  it('refuses container-only fields and exec checks on VMs', () => {
    const t = template({
      components: [
        component({ name: 'vm', kind: 'vm', image: 'quay.io/containerdisks/debian', command: ['x'] }),
      ],
      checks: [{ component: 'vm', exec: { command: ['true'] } }],
    });
    expect(paths(t)).toEqual(['spec.components[0].command', 'spec.checks[0].exec']);
  });

  it('reads lifetimes and wants idle stop before expiry', () => {
    expect(paths(template({ lifetime: { idleStopAfter: '2 hours', expireAfter: '400d' } }))).toEqual([
      'spec.lifetime.idleStopAfter',
      'spec.lifetime.expireAfter',
    ]);
    expect(checkLabTemplate(template({ lifetime: { idleStopAfter: '2d', expireAfter: '1d' } }))).toEqual([
      {
        path: 'spec.lifetime.idleStopAfter',
        message: '2d is longer than expireAfter (1d): the lab would expire before it could idle',
      },
    ]);
  });

  it('wants the name to be a DNS label', () => {
    expect(paths(template({}, 'Web_Server'))).toEqual(['metadata.name']);
  });
});
