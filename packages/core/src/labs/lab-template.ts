/**
 * The lab template (DESIGN.md "Labs"): what one student's environment consists of. These are the
 * plain types after validation and defaults; the zod schema that produces them, and the published
 * JSON Schema, live in @aperture/api-contract. Quantities and durations stay as written (`1Gi`,
 * `2h`) so a template round-trips to the YAML an instructor recognises; quantity.ts and
 * duration.ts read them as numbers.
 */

export const LAB_API_VERSION = 'aperture.dev/v1alpha1';
export const LAB_TEMPLATE_KIND = 'LabTemplate';

export interface LabTemplate {
  apiVersion: typeof LAB_API_VERSION;
  kind: typeof LAB_TEMPLATE_KIND;
  metadata: LabTemplateMetadata;
  spec: LabTemplateSpec;
}

export interface LabTemplateMetadata {
  /** A DNS label: it appears in Kubernetes labels and in the CLI. */
  name: string;
  description?: string;
}

export interface LabTemplateSpec {
  /** The per-student budget: everything a student's copy may use, together. */
  resources: LabBudget;
  components: LabComponent[];
  /** "Lab CI": must pass in a throw-away environment before a version can be published. */
  checks: LabCheck[];
  lifetime: LabLifetime;
}

/** Kubernetes quantity strings. */
export interface LabBudget {
  cpu: string;
  memory: string;
  storage: string;
}

export type LabComponentKind = 'container' | 'vm';

export interface LabComponent {
  /** A DNS-1035 label, unique in the template: it names the component's Deployment and Service. */
  name: string;
  /** `vm` components (KubeVirt) are accepted in templates but not rendered yet. */
  kind: LabComponentKind;
  image: string;
  command?: string[];
  args?: string[];
  env?: LabEnvVar[];
  ports?: LabPort[];
  /** Unset parts share what the explicit ones leave of the budget (allocation.ts). */
  resources?: LabComponentResources;
  /** A browser terminal (exec into this component). */
  terminal?: boolean;
  /** A browser desktop (noVNC) to the VNC server on this port. */
  vnc?: LabVnc;
  /** Persistent volumes; their sizes together fit in the budget's storage. */
  volumes?: LabVolume[];
  /**
   * Directories the image must write to besides /tmp and its volumes (e.g. nginx's
   * /var/lib/nginx): the root filesystem is read-only, so each gets an empty scratch directory.
   */
  writablePaths?: string[];
  /** The uid the component runs as; never 0 (PodSecurity `restricted`). Default 1000. */
  runAsUser?: number;
}

export interface LabEnvVar {
  name: string;
  value: string;
}

export type LabPortProtocol = 'TCP' | 'UDP';

export interface LabPort {
  /** An IANA service name (≤ 15 characters): Kubernetes names container and Service ports so. */
  name: string;
  port: number;
  protocol: LabPortProtocol;
}

export interface LabComponentResources {
  cpu?: string;
  memory?: string;
}

export interface LabVnc {
  port: number;
}

export interface LabVolume {
  name: string;
  mountPath: string;
  size: string;
}

/** One kind per check; the `?: never` keys make `'http' in check` narrow to exactly one. */
export type LabCheck = LabHttpCheck | LabTcpCheck | LabExecCheck;

export interface LabHttpCheck {
  component: string;
  http: { port: number; path: string; status: number };
  tcp?: never;
  exec?: never;
}

export interface LabTcpCheck {
  component: string;
  tcp: { port: number };
  http?: never;
  exec?: never;
}

export interface LabExecCheck {
  component: string;
  exec: { command: string[] };
  http?: never;
  tcp?: never;
}

export interface LabLifetime {
  /** Stop a student's environment after this long without activity (it can be started again). */
  idleStopAfter: string;
  /** Delete it this long after it was created, whatever happens. */
  expireAfter: string;
}

/** One thing wrong with a template: `path` names the field, JSON-path-like. */
export interface LabTemplateProblem {
  path: string;
  message: string;
}

export type LabTemplateResult =
  | { ok: true; template: LabTemplate }
  | { ok: false; errors: LabTemplateProblem[] };

/**
 * Size caps. A template is instructor input, but an API accepts it from anyone holding a token:
 * these keep one document from costing the server (or a cluster) more than a lab is worth.
 */
export const LAB_TEMPLATE_LIMITS = Object.freeze({
  maxTextBytes: 256 * 1024,
  maxYamlAliases: 50,
  maxComponents: 20,
  maxPortsPerComponent: 20,
  maxEnvPerComponent: 100,
  maxVolumesPerComponent: 8,
  maxWritablePathsPerComponent: 16,
  maxArgs: 100,
  maxChecks: 50,
  maxStringLength: 4096,
  maxEnvValueLength: 32 * 1024,
  maxDescriptionLength: 1000,
});

export const DEFAULT_RUN_AS_USER = 1000;
export const DEFAULT_LAB_LIFETIME: Readonly<LabLifetime> = Object.freeze({
  idleStopAfter: '2h',
  expireAfter: '30d',
});

/** `spec.components[1].ports[0].port` from ['spec', 'components', 1, 'ports', 0, 'port']. */
export function formatFieldPath(segments: readonly PropertyKey[]): string {
  let path = '';
  for (const segment of segments) {
    const key = String(segment);
    if (typeof segment === 'number') path += `[${segment}]`;
    // A key that is no identifier (an unknown field `foo bar`) is quoted, so the path stays readable.
    else if (!/^[A-Za-z_$][\w$]*$/.test(key)) path += `[${JSON.stringify(key)}]`;
    else path += path === '' ? key : `.${key}`;
  }
  return path;
}
