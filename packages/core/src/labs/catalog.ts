/**
 * Built-in lab types, so the seed's `aperture create webserver --cpu 1 --memory 1Gi --storage 2Gi`
 * works without writing YAML. Each type is an ordinary template (the instructor can dump it and
 * edit it); the images are Aperture's lab bases (images/lab-*), built to run as uid 1000 on a
 * read-only root filesystem, writing only to /tmp, their volumes and the writablePaths below.
 */
import { checkLabTemplate } from './check-template.ts';
import {
  DEFAULT_LAB_LIFETIME,
  LAB_API_VERSION,
  LAB_TEMPLATE_KIND,
  type LabBudget,
  type LabCheck,
  type LabComponent,
  type LabEnvVar,
  type LabLifetime,
  type LabTemplate,
  type LabTemplateResult,
  type LabVolume,
} from './lab-template.ts';
import { parseBytes } from './quantity.ts';

export interface LabCatalogOptions extends LabBudget {
  /** The template's name; the type's name by default. */
  name?: string;
}

export interface LabCatalogEntry {
  type: string;
  description: string;
  build: (
    budget: LabBudget,
  ) => Pick<LabTemplate['spec'], 'components' | 'checks'> & { lifetime?: LabLifetime };
}

const STUDENT_HOME = '/home/student';

/** The student's working shell: a terminal with a persistent home (when the budget has storage). */
function shellComponent(home: Mounts, env: LabEnvVar[] = []): LabComponent {
  return {
    name: 'shell',
    kind: 'container',
    image: 'aperture/lab-shell',
    terminal: true,
    env: [{ name: 'HOME', value: STUDENT_HOME }, ...env],
    ...mountFields(home),
  };
}

const homeWritable: LabCheck = {
  component: 'shell',
  exec: { command: ['sh', '-c', `test -w ${STUDENT_HOME}`] },
};

interface Mounts {
  volumes: LabVolume[];
  writablePaths: string[];
}

/** A directory that outlives restarts on a volume of the whole storage budget; `--storage 0` makes it scratch. */
function persistentDir(budget: LabBudget, name: string, mountPath: string): Mounts {
  return parseBytes(budget.storage) === 0
    ? { volumes: [], writablePaths: [mountPath] }
    : { volumes: [{ name, mountPath, size: budget.storage }], writablePaths: [] };
}

const scratchDir = (mountPath: string): Mounts => ({ volumes: [], writablePaths: [mountPath] });

/** Empty lists are left out, so a catalog template reads like one written by hand. */
function mountFields(...all: Mounts[]): Pick<LabComponent, 'volumes' | 'writablePaths'> {
  const volumes = all.flatMap((mounts) => mounts.volumes);
  const writablePaths = all.flatMap((mounts) => mounts.writablePaths);
  return {
    ...(volumes.length > 0 ? { volumes } : {}),
    ...(writablePaths.length > 0 ? { writablePaths } : {}),
  };
}

export const LAB_CATALOG: readonly LabCatalogEntry[] = Object.freeze([
  {
    type: 'shell',
    description: 'A Linux shell in the browser, with a persistent home directory.',
    build: (budget) => ({
      components: [shellComponent(persistentDir(budget, 'home', STUDENT_HOME))],
      checks: [homeWritable],
    }),
  },
  {
    type: 'webserver',
    description: 'nginx serving on port 8080, and a shell beside it (curl http://web:8080/).',
    build: (budget) => ({
      components: [
        {
          name: 'web',
          kind: 'container',
          image: 'aperture/lab-nginx',
          ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
          // Debian's nginx keeps request bodies and logs here; its pid file is in /tmp.
          writablePaths: ['/var/lib/nginx', '/var/log/nginx'],
        },
        shellComponent(persistentDir(budget, 'home', STUDENT_HOME)),
      ],
      checks: [{ component: 'web', http: { port: 8080, path: '/', status: 200 } }, homeWritable],
    }),
  },
  {
    type: 'database',
    description: 'PostgreSQL on port 5432 with its data on a volume, and a shell with psql pointed at it.',
    build: (budget) => ({
      components: [
        {
          name: 'db',
          kind: 'container',
          image: 'aperture/lab-postgres',
          ports: [{ name: 'postgres', port: 5432, protocol: 'TCP' }],
          // A subdirectory: initdb refuses a mount point's root (it may hold lost+found).
          env: [{ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' }],
          ...mountFields(
            persistentDir(budget, 'data', '/var/lib/postgresql/data'),
            scratchDir('/run/postgresql'),
          ),
        },
        // The database has the storage; the shell's home is scratch. PGHOST is the db Service.
        shellComponent(scratchDir(STUDENT_HOME), [{ name: 'PGHOST', value: 'db' }]),
      ],
      checks: [
        { component: 'db', tcp: { port: 5432 } },
        { component: 'db', exec: { command: ['pg_isready', '-h', '127.0.0.1', '-p', '5432'] } },
      ],
    }),
  },
  {
    type: 'desktop',
    description:
      'A Linux desktop (Xvfb, a light window manager, VNC on 5901) in the browser, and its terminal.',
    build: (budget) => ({
      components: [
        {
          name: 'desktop',
          kind: 'container',
          image: 'aperture/lab-desktop',
          terminal: true,
          vnc: { port: 5901 },
          env: [{ name: 'HOME', value: STUDENT_HOME }],
          ...mountFields(persistentDir(budget, 'home', STUDENT_HOME)),
        },
      ],
      checks: [{ component: 'desktop', tcp: { port: 5901 } }],
      // A desktop holds far more memory than a shell: give it back sooner when nobody looks.
      lifetime: { idleStopAfter: '1h', expireAfter: '30d' },
    }),
  },
]);

export const LAB_CATALOG_TYPES: readonly string[] = LAB_CATALOG.map((entry) => entry.type);

/** The template of a built-in type for this budget, checked like any other template. */
export function catalogLabTemplate(type: string, options: LabCatalogOptions): LabTemplateResult {
  const entry = LAB_CATALOG.find((candidate) => candidate.type === type);
  if (!entry) {
    return {
      ok: false,
      errors: [
        {
          path: 'type',
          message: `unknown lab type ${JSON.stringify(type)}; the types are: ${LAB_CATALOG_TYPES.join(', ')}`,
        },
      ],
    };
  }
  const budget: LabBudget = { cpu: options.cpu, memory: options.memory, storage: options.storage };
  const built = entry.build(budget);
  const template: LabTemplate = {
    apiVersion: LAB_API_VERSION,
    kind: LAB_TEMPLATE_KIND,
    metadata: { name: options.name ?? entry.type, description: entry.description },
    spec: {
      resources: budget,
      components: built.components,
      checks: built.checks,
      lifetime: built.lifetime ?? { ...DEFAULT_LAB_LIFETIME },
    },
  };
  const errors = checkLabTemplate(template);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, template };
}
