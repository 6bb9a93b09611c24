/**
 * The zod schema of a lab template (apiVersion aperture.dev/v1alpha1): the shape, the formats and
 * the defaults. Checks across fields (the budget, unique names, checks naming real ports) are
 * core's checkLabTemplate, run after this. The published JSON Schema is generated from here.
 */
import {
  ABSOLUTE_PATH,
  DEFAULT_LAB_LIFETIME,
  DNS_1035_LABEL,
  DNS_LABEL,
  DNS_LABEL_MAX,
  DURATION,
  ENV_NAME,
  IMAGE_REFERENCE,
  IMAGE_REFERENCE_MAX,
  LAB_API_VERSION,
  LAB_TEMPLATE_KIND,
  LAB_TEMPLATE_LIMITS as LIMITS,
  PORT_NAME,
  PORT_NAME_MAX,
  QUANTITY,
} from '@aperture/core';
import { z } from 'zod';

const text = (max: number = LIMITS.maxStringLength) => z.string().max(max);

const dnsLabel = z
  .string()
  .max(DNS_LABEL_MAX)
  .regex(
    DNS_LABEL,
    'not a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit',
  );

const componentName = z
  .string()
  .max(DNS_LABEL_MAX)
  .regex(DNS_1035_LABEL, 'not a component name: lowercase letters, digits and "-", starting with a letter')
  .describe('Names the Deployment and Service of this component, e.g. "web".');

/**
 * YAML reads `cpu: 1` as a number and `cpu: 1Gi` as a string; Kubernetes takes both, so do we,
 * and keep the text.
 */
const quantity = (examples: string) =>
  z
    .union([
      z.string().regex(QUANTITY, `not a Kubernetes quantity (examples: ${examples})`),
      z.number().nonnegative(),
    ])
    .transform((value) => String(value))
    .describe(`A Kubernetes quantity, e.g. ${examples}.`);

const cpu = quantity('500m, 1, 2.5');
const bytes = quantity('512Mi, 1Gi, 2G');

const duration = z
  .string()
  .regex(DURATION, 'not a duration (examples: 45m, 2h, 30d, 1h30m)')
  .describe('A duration: days, hours, minutes, seconds in that order, e.g. 45m, 2h, 30d, 1h30m.');

const portNumber = z.number().int().min(1).max(65535);

const absolutePath = z
  .string()
  .max(LIMITS.maxStringLength)
  .regex(ABSOLUTE_PATH, 'not an absolute path without "..", "." or ":" (e.g. /home/student)');

const portSchema = z.strictObject({
  name: z
    .string()
    .max(PORT_NAME_MAX)
    .regex(
      PORT_NAME,
      'not a port name: at most 15 lowercase letters, digits and "-", with a letter (e.g. "http")',
    ),
  port: portNumber,
  protocol: z.enum(['TCP', 'UDP']).default('TCP'),
});

const envVarSchema = z.strictObject({
  name: z.string().max(256).regex(ENV_NAME, 'not an environment variable name (letters, digits, "_")'),
  value: text(LIMITS.maxEnvValueLength),
});

const volumeSchema = z.strictObject({
  name: dnsLabel,
  mountPath: absolutePath,
  size: bytes,
});

const componentSchema = z.strictObject({
  name: componentName,
  kind: z
    .enum(['container', 'vm'])
    .default('container')
    .describe('vm components run on KubeVirt where the cluster has it (not rendered yet).'),
  image: z
    .string()
    .max(IMAGE_REFERENCE_MAX)
    .regex(IMAGE_REFERENCE, 'not an image reference (e.g. aperture/lab-nginx, registry.example.edu/lab:1.2)'),
  command: z.array(text()).min(1).max(LIMITS.maxArgs).optional(),
  args: z.array(text()).max(LIMITS.maxArgs).optional(),
  env: z.array(envVarSchema).max(LIMITS.maxEnvPerComponent).optional(),
  ports: z.array(portSchema).max(LIMITS.maxPortsPerComponent).optional(),
  resources: z
    .strictObject({ cpu: cpu.optional(), memory: bytes.optional() })
    .optional()
    .describe('What this component gets; the rest of the budget is shared by the components without.'),
  terminal: z.boolean().optional().describe('Offer a browser terminal into this component.'),
  vnc: z
    .strictObject({ port: portNumber })
    .optional()
    .describe('Offer a browser desktop (noVNC) to the VNC server on this port.'),
  volumes: z.array(volumeSchema).max(LIMITS.maxVolumesPerComponent).optional(),
  writablePaths: z
    .array(absolutePath)
    .max(LIMITS.maxWritablePathsPerComponent)
    .optional()
    .describe(
      'Directories the image writes to besides /tmp and its volumes (the root filesystem is read-only).',
    ),
  runAsUser: z
    .number()
    .int()
    .min(1)
    .max(2_147_483_647)
    .optional()
    .describe('The uid, never 0. Default 1000.'),
});

const checkComponent = z.string().max(DNS_LABEL_MAX).describe('The component the check runs against.');

/** Present in another kind of check: naming it says "one kind per check" instead of "unknown field". */
const otherKind = z.never({ error: 'a check has exactly one of http, tcp or exec' }).optional();

const httpProbe = z.strictObject({
  port: portNumber,
  path: z.string().max(2048).startsWith('/', 'an HTTP path starts with "/"').default('/'),
  status: z.number().int().min(100).max(599).default(200),
});
const tcpProbe = z.strictObject({ port: portNumber });
const execProbe = z.strictObject({ command: z.array(text()).min(1).max(LIMITS.maxArgs) });

const checkSchema = z.union(
  [
    z.strictObject({ component: checkComponent, http: httpProbe, tcp: otherKind, exec: otherKind }),
    z.strictObject({ component: checkComponent, tcp: tcpProbe, http: otherKind, exec: otherKind }),
    z.strictObject({ component: checkComponent, exec: execProbe, http: otherKind, tcp: otherKind }),
  ],
  { error: 'a check has a component and exactly one of http, tcp or exec' },
);

const lifetimeSchema = z.strictObject({
  idleStopAfter: duration.default(DEFAULT_LAB_LIFETIME.idleStopAfter),
  expireAfter: duration.default(DEFAULT_LAB_LIFETIME.expireAfter),
});

export const labTemplateSchema = z.strictObject({
  apiVersion: z.literal(LAB_API_VERSION),
  kind: z.literal(LAB_TEMPLATE_KIND),
  metadata: z.strictObject({
    name: dnsLabel.describe('The template name, e.g. "webserver".'),
    description: text(LIMITS.maxDescriptionLength).optional(),
  }),
  spec: z.strictObject({
    resources: z
      .strictObject({ cpu, memory: bytes, storage: bytes })
      .describe('The per-student budget: the namespace quota of every student copy.'),
    components: z
      .array(componentSchema)
      .min(1, 'a lab has at least one component')
      .max(LIMITS.maxComponents, `a lab has at most ${LIMITS.maxComponents} components`),
    checks: z
      .array(checkSchema)
      .max(LIMITS.maxChecks)
      .default([])
      .describe('"Lab CI": they must pass in a throw-away copy before a version can be published.'),
    lifetime: lifetimeSchema.default({ ...DEFAULT_LAB_LIFETIME }),
  }),
});
