/**
 * What the lab API answers: the store's rows joined with what the engine says now. Shared by the
 * server (JSON), the web UI and the CLI, so all three show a lab the same way.
 */
import type { Timestamp } from '../domain/entities.ts';
import type {
  Lab,
  LabAccessKind,
  LabDeployment,
  LabEnvironment,
  LabEnvironmentState,
  LabVersion,
} from '../labs/lab-entities.ts';
import type { LabComponent, LabTemplate } from '../labs/lab-template.ts';
import type { LabComponentStatus, StudentLabState } from '../labs/provisioner.ts';

export interface LabSummary {
  id: string;
  name: string;
  description: string | null;
  updatedAt: string;
  /** How many versions were checkpointed, and how many of them are published. */
  versions: number;
  published: number;
  /** Deployments not destroyed (dev included). */
  deployments: number;
}

export type LabStateCounts = Partial<Record<LabEnvironmentState, number>>;

export interface LabStudentView {
  userId: string;
  username: string;
  /** What Aperture recorded (pending, deploying, ready, failed, stopped, resetting, removed). */
  state: LabEnvironmentState;
  environment: string;
  error: string | null;
  attempts: number;
  lastAccessAt: string | null;
  /** What the engine says right now; null when it was not asked (destroyed) or did not answer. */
  live: StudentLabState | null;
  message: string | null;
  components: LabComponentStatus[];
}

export interface DeploymentView {
  deployment: LabDeployment;
  labName: string;
  courseId: string;
  /** The template deployed (the version's; for `dev`, the dev template). */
  template: LabTemplate;
  students: LabStudentView[];
  counts: LabStateCounts;
  /** Set when the engine could not be asked for the live state. */
  statusError: string | null;
}

export type DeploymentSummary = LabDeployment & { counts: LabStateCounts; students: number };

export interface LabDetail {
  lab: Lab;
  dev: DeploymentView | null;
  /** Newest first. */
  versions: LabVersion[];
  /** Newest first. */
  deployments: DeploymentSummary[];
}

export interface MyLabComponent {
  name: string;
  terminal: boolean;
  vnc: boolean;
  /** TCP ports the HTTP proxy may open (`/labs/:deployment/:user/:component/:port/`). */
  httpPorts: number[];
}

export interface MyLab {
  deploymentId: string;
  labId: string;
  labName: string;
  courseId: string;
  courseCode: string;
  kind: LabDeployment['kind'];
  state: LabEnvironmentState;
  components: MyLabComponent[];
  /** The last use Aperture recorded (typing, desktop input, a web page loaded); null: never opened. */
  lastAccessAt: Timestamp | null;
  /** The template's idle stop, so the page can say what keeps the copy running. */
  idleStopAfterMs: number;
  /** While `ready`: when it is stopped unless used before then. Null otherwise. */
  idleStopAt: Timestamp | null;
  /** When the whole deployment is destroyed (its lifetime's expiry); null for dev copies. */
  expiresAt: Timestamp | null;
  /** Who else opened this copy lately (staff watching and helping), newest first, at most 5. */
  openedBy: LabOpenedBy[];
}

export interface LabOpenedBy {
  username: string;
  name: string;
  component: string;
  kind: LabAccessKind;
  at: Timestamp;
}

export function countStates(environments: readonly Pick<LabEnvironment, 'state'>[]): LabStateCounts {
  const counts: LabStateCounts = {};
  for (const { state } of environments) counts[state] = (counts[state] ?? 0) + 1;
  return counts;
}

export function componentAccess(component: LabComponent): MyLabComponent {
  return {
    name: component.name,
    terminal: component.terminal === true,
    vnc: component.vnc !== undefined,
    httpPorts: (component.ports ?? []).filter((port) => port.protocol !== 'UDP').map((port) => port.port),
  };
}
