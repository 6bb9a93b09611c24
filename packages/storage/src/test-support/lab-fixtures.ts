import type {
  Course,
  Lab,
  LabDeployment,
  LabEnvironment,
  LabTemplate,
  LabVersion,
  Store,
  User,
} from '@aperture/core';
import { aCourse, at, aUser, nextId } from './fixtures.ts';

/** Nested arrays and objects of every kind a template has, and text that JSON must escape. */
export function aLabTemplate(name = 'web-lab'): LabTemplate {
  return {
    apiVersion: 'aperture.dev/v1alpha1',
    kind: 'LabTemplate',
    metadata: { name, description: 'Nginx + shell — "quoted", ünïcode ✓\nsecond line' },
    spec: {
      resources: { cpu: '2', memory: '2Gi', storage: '5Gi' },
      components: [
        {
          name: 'web',
          kind: 'container',
          image: 'docker.io/library/nginx:1.27',
          ports: [
            { name: 'http', port: 8080, protocol: 'TCP' },
            { name: 'dns', port: 53, protocol: 'UDP' },
          ],
          env: [{ name: 'GREETING', value: 'héllo\t"world"' }],
          volumes: [{ name: 'html', mountPath: '/usr/share/nginx/html', size: '1Gi' }],
          writablePaths: ['/var/cache/nginx', '/var/run'],
          resources: { cpu: '500m' },
          runAsUser: 101,
        },
        {
          name: 'shell',
          kind: 'container',
          image: 'aperture/lab-shell@sha256:' + 'a'.repeat(64),
          command: ['sleep'],
          args: ['infinity'],
          terminal: true,
          vnc: { port: 5901 },
        },
      ],
      checks: [
        { component: 'web', http: { port: 8080, path: '/', status: 200 } },
        { component: 'web', tcp: { port: 8080 } },
        { component: 'shell', exec: { command: ['sh', '-c', 'test -d /tmp && echo ok'] } },
      ],
      lifetime: { idleStopAfter: '2h', expireAfter: '30d' },
    },
  };
}

export function aLab(courseId: string, createdBy: string, overrides: Partial<Lab> = {}): Lab {
  const name = overrides.name ?? `lab-${nextId('n')}`.replace('_', '-');
  return {
    id: nextId('lab'),
    courseId,
    name,
    devTemplate: aLabTemplate(name),
    createdBy,
    createdAt: at(0),
    updatedAt: at(0),
    ...overrides,
  };
}

export function aLabVersion(lab: Lab, overrides: Partial<LabVersion> = {}): LabVersion {
  return {
    id: `sha256:${nextId('v').padEnd(64, '0')}`,
    labId: lab.id,
    template: lab.devTemplate,
    images: { 'docker.io/library/nginx:1.27': `sha256:${'b'.repeat(64)}` },
    state: 'draft',
    checkResults: null,
    snapshots: null,
    createdBy: lab.createdBy,
    createdAt: at(1),
    checkedAt: null,
    publishedAt: null,
    ...overrides,
  };
}

export function aLabDeployment(lab: Lab, overrides: Partial<LabDeployment> = {}): LabDeployment {
  return {
    id: nextId('ldp'),
    labId: lab.id,
    courseId: lab.courseId,
    kind: 'dev',
    versionId: null,
    state: 'deploying',
    createdBy: lab.createdBy,
    createdAt: at(2),
    updatedAt: at(2),
    expiresAt: null,
    teardown: null,
    ...overrides,
  };
}

export function aLabEnvironment(
  deploymentId: string,
  userId: string,
  overrides: Partial<LabEnvironment> = {},
): LabEnvironment {
  return {
    deploymentId,
    userId,
    state: 'pending',
    environment: '',
    attempts: 0,
    error: null,
    lastAccessAt: null,
    createdAt: at(3),
    updatedAt: at(3),
    ...overrides,
  };
}

/** An instructor, a course and one lab in it. */
export async function seedLab(store: Store): Promise<{ user: User; course: Course; lab: Lab }> {
  const user = aUser();
  const course = aCourse();
  await store.users.insert(user);
  await store.courses.insert(course);
  const lab = aLab(course.id, user.id);
  await store.labs.insert(lab);
  return { user, course, lab };
}
