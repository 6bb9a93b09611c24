import { isApiError } from '../api/client.ts';
import type {
  DeploymentView,
  LabDetail,
  LabEnvironmentState,
  LabTemplate,
  LabTemplateProblem,
  LabVersionState,
  MyLab,
  MyLabComponent,
} from '../api/types.ts';

import { formatSpan, relativeTime } from './format.ts';

type Component = LabTemplate['spec']['components'][number];

const MOVING_STATES: readonly LabEnvironmentState[] = ['pending', 'deploying', 'resetting'];

export const STATE_COLORS: Record<LabEnvironmentState | LabVersionState, string> = {
  pending: 'gray',
  deploying: 'blue',
  ready: 'teal',
  failed: 'red',
  stopped: 'yellow',
  resetting: 'blue',
  removed: 'gray',
  draft: 'gray',
  checking: 'blue',
  published: 'teal',
  check_failed: 'red',
};

export const isMoving = (state: string): boolean =>
  (MOVING_STATES as readonly string[]).includes(state) || state === 'checking';

export function deploymentBusy(view: DeploymentView): boolean {
  if (view.deployment.state === 'deploying' || view.deployment.state === 'destroying') return true;
  return view.students.some((s) => isMoving(s.state));
}

/** The lab page polls while its dev copy or a version check is on its way. */
export function labBusy(detail: LabDetail): boolean {
  if (detail.dev && deploymentBusy(detail.dev)) return true;
  if (detail.versions.some((v) => v.state === 'checking')) return true;
  return detail.deployments.some((d) => d.state === 'deploying' || d.state === 'destroying');
}

export const myLabsBusy = (labs: readonly MyLab[]): boolean => labs.some((lab) => isMoving(lab.state));

/** `sha256:0123456789abcdef…` → `0123456789ab`, as the CLI shows it. */
export const shortVersion = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/** What a browser may open in one component, from the template (the lab builder's dev copy). */
export function componentAccess(component: Component): MyLabComponent {
  return {
    name: component.name,
    terminal: component.terminal === true,
    vnc: component.vnc !== undefined,
    httpPorts: (component.ports ?? []).filter((p) => p.protocol !== 'UDP').map((p) => p.port),
  };
}

const enc = encodeURIComponent;

/** Routes of the web UI and the server's proxy for one component of one copy. */
export const labLinks = (deploymentId: string, userId: string, component: string) => ({
  terminal: `/terminal/${enc(deploymentId)}/${enc(userId)}/${enc(component)}`,
  desktop: `/desktop/${enc(deploymentId)}/${enc(userId)}/${enc(component)}`,
  /** Served by the server itself (sandboxed), outside the single-page app: open it in a new tab. */
  web: (port: number) => `/labs/${enc(deploymentId)}/${enc(userId)}/${enc(component)}/${port}/`,
});

/** The WebSocket URL of a terminal or desktop, on the page's own origin (the session cookie rides along). */
export function labSocketUrl(
  location: Pick<Location, 'protocol' | 'host'>,
  deploymentId: string,
  userId: string,
  component: string,
  kind: 'terminal' | 'vnc',
  size?: { cols: number; rows: number },
): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const path = `/api/v1/lab-deployments/${enc(deploymentId)}/students/${enc(userId)}/components/${enc(component)}/${kind}`;
  const query = size ? `?cols=${size.cols}&rows=${size.rows}` : '';
  return `${scheme}//${location.host}${path}${query}`;
}

/**
 * Whole-class actions (destroying a deployment) are confirmed by typing the lab's name: a
 * misclick must not end every student's work.
 */
export const confirmsClassAction = (typed: string, labName: string): boolean => typed.trim() === labName;

/** The template problems a 400 carries (`details.errors`), or none. */
export function labProblemsOf(error: unknown): LabTemplateProblem[] {
  if (!isApiError(error, 'validation_failed')) return [];
  const errors = error.details?.['errors'];
  if (!Array.isArray(errors)) return [];
  return errors.filter(
    (e): e is LabTemplateProblem => typeof e?.path === 'string' && typeof e?.message === 'string',
  );
}

/** Validation problems keyed by field path, for showing each under its field. */
export function problemsByField(problems: readonly LabTemplateProblem[]): Map<string, string[]> {
  const byField = new Map<string, string[]>();
  for (const { path, message } of problems) byField.set(path, [...(byField.get(path) ?? []), message]);
  return byField;
}

export interface NewContainer {
  name: string;
  image: string;
  port: number | null;
  terminal: boolean;
}

/** The dev template with one more container (the lab builder's "Create container"). */
export function withContainer(template: LabTemplate, container: NewContainer): LabTemplate {
  const component: Component = {
    name: container.name,
    kind: 'container',
    image: container.image,
    ...(container.port ? { ports: [{ name: 'http', port: container.port, protocol: 'TCP' }] } : {}),
    ...(container.terminal ? { terminal: true } : {}),
  };
  return withComponent(template, component);
}

/** A KubeVirt VM component booting `image` (a containerDisk), for the builder's "Create VM". */
export function withVm(template: LabTemplate, vm: { name: string; image: string }): LabTemplate {
  return withComponent(template, { name: vm.name, kind: 'vm', image: vm.image });
}

/** The template with `component` appended. */
function withComponent(template: LabTemplate, component: Component): LabTemplate {
  return { ...template, spec: { ...template.spec, components: [...template.spec.components, component] } };
}

/** `{ cpu: "1" }` → `"1"`; objects and lists as compact JSON, for the change table. */
export function showValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * What keeps a copy running and when it stops, in words its owner can act on: the idle rule
 * (what counts as use), the last use, and the next stop. Undefined when it says nothing useful.
 */
export function idleExplanation(
  lab: Pick<MyLab, 'state' | 'lastAccessAt' | 'idleStopAfterMs' | 'idleStopAt'>,
  now: Date = new Date(),
): string | undefined {
  const rule = `after ${formatSpan(lab.idleStopAfterMs)} unused`;
  const last = lab.lastAccessAt ? `last used ${relativeTime(lab.lastAccessAt, now)}` : 'not opened yet';
  if (lab.state === 'stopped')
    return `Stopped ${rule} (${last}). Opening it starts it again; your files are kept.`;
  if (lab.state === 'ready' && lab.idleStopAt) {
    // Past due: the reconciler stops it on its next round (every minute or so).
    const when =
      Date.parse(lab.idleStopAt) <= now.getTime() ? 'any moment now' : relativeTime(lab.idleStopAt, now);
    return `Stops ${rule}: ${last}, so it stops ${when} unless you type in a terminal, use the desktop or load its web pages.`;
  }
  return undefined;
}
