import { describe, expect, it } from 'vitest';
import { CREATING_GRACE_MS, type ListedContainer, studentStates } from './lab-state.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const old = new Date(NOW - 2 * CREATING_GRACE_MS).toISOString();
const young = new Date(NOW - 1_000).toISOString();

function container(student: string, component: string, State: string, ExitCode = 0): ListedContainer {
  return {
    Id: `${student}-${component}`,
    Names: [`env-${student}-${component}`],
    State,
    ExitCode,
    Labels: {
      'dev.aperture.student-id': student,
      'dev.aperture.lab-component': component,
      'dev.aperture.lab-components': 'web,shell',
      'dev.aperture.lab-version': 'sha256:v1',
    },
  };
}

const network = (student: string, created = old) => ({
  name: `env-${student}`,
  created,
  labels: { 'dev.aperture.student-id': student },
});

function stateOf(input: Partial<Parameters<typeof studentStates>[0]>) {
  const [status] = studentStates({
    containers: [],
    networks: [],
    markers: [],
    environmentOf: (id) => `env-${id}`,
    now: NOW,
    ...input,
  });
  return status!;
}

describe('studentStates', () => {
  it('ready when every component of the version runs', () => {
    const status = stateOf({
      containers: [container('a', 'web', 'running'), container('a', 'shell', 'running')],
      networks: [network('a')],
    });
    expect(status).toMatchObject({ state: 'ready', environment: 'env-a', versionId: 'sha256:v1' });
    expect(status.components).toEqual([
      { name: 'web', desired: 1, ready: 1, available: 1 },
      { name: 'shell', desired: 1, ready: 1, available: 1 },
    ]);
    expect(status.message).toBeUndefined();
  });

  it('failed with the exit code when a component exited by itself', () => {
    const status = stateOf({
      containers: [container('a', 'web', 'exited', 1), container('a', 'shell', 'running')],
      networks: [network('a')],
    });
    expect(status).toMatchObject({ state: 'failed', message: 'web: exited with code 1' });
  });

  it('stopped when marked, whatever the exit codes', () => {
    const status = stateOf({
      containers: [container('a', 'web', 'exited', 143), container('a', 'shell', 'exited', 137)],
      networks: [network('a')],
      markers: [{ Name: 'env-a-stopped', Labels: { 'dev.aperture.student-id': 'a' } }],
    });
    expect(status.state).toBe('stopped');
  });

  it('a missing container is starting while the network is young, failed after', () => {
    const containers = [container('a', 'web', 'running')];
    expect(stateOf({ containers, networks: [network('a', young)] }).state).toBe('starting');
    expect(stateOf({ containers, networks: [network('a', old)] })).toMatchObject({
      state: 'failed',
      message: expect.stringContaining('shell: no container'),
    });
  });

  it('missing for a student asked for with nothing, with the username', () => {
    expect(stateOf({ students: [{ id: 'b', username: 'bob' }] })).toEqual({
      student: { id: 'b', username: 'bob' },
      environment: 'env-b',
      state: 'missing',
      components: [],
    });
  });
});
