/**
 * The checks of a lab template that look at more than one field, or at the value behind a
 * string: names unique, checks pointing at ports that exist, the components fitting the budget,
 * lifetimes that make sense. The shape (types, required fields, formats) is the schema's job in
 * api-contract; these run on a template of the right shape, whether parsed or built by the catalog.
 */
import { allocateLabResources } from './allocation.ts';
import { parseDuration } from './duration.ts';
import { DNS_LABEL, DNS_LABEL_MAX, SCRATCH_PATH } from './formats.ts';
import type {
  LabBudget,
  LabCheck,
  LabComponent,
  LabLifetime,
  LabTemplate,
  LabTemplateProblem,
} from './lab-template.ts';
import { formatFieldPath } from './lab-template.ts';
import { formatByteQuantity, GiB, parseBytes, parseCpu, parseQuantity } from './quantity.ts';

/**
 * Upper bounds of one student's budget: far above any real lab, low enough that a typo
 * (`memory: 1Ei`) is caught here instead of as a quota no cluster can honour.
 */
export const MAX_LAB_BUDGET = Object.freeze({
  cpuMillicores: 64_000,
  memoryBytes: 256 * GiB,
  storageBytes: 1024 * GiB,
});

const MIN_LIFETIME_MS = 60_000;
const MAX_LIFETIME_MS = 366 * 86_400_000;

type Report = (path: readonly PropertyKey[], message: string) => void;

export function checkLabTemplate(template: LabTemplate): LabTemplateProblem[] {
  const problems: LabTemplateProblem[] = [];
  const report: Report = (path, message) => problems.push({ path: formatFieldPath(path), message });
  checkName(template.metadata.name, report);
  const budgetOk = checkBudget(template.spec.resources, report);
  checkComponents(template.spec.components, report);
  if (budgetOk) {
    const allocation = allocateLabResources(template.spec);
    if (!allocation.ok) problems.push(...allocation.errors);
    checkStorage(template, report);
  }
  template.spec.checks.forEach((check, index) => {
    checkCheck(check, template.spec.components, ['spec', 'checks', index], report);
  });
  checkLifetime(template.spec.lifetime, report);
  return problems;
}

function checkName(name: string, report: Report): void {
  if (name.length > DNS_LABEL_MAX || !DNS_LABEL.test(name)) {
    report(
      ['metadata', 'name'],
      `${JSON.stringify(name)} is not a DNS label (lowercase letters, digits and '-', at most 63, e.g. "webserver")`,
    );
  }
}

/** True when the budget can be read, so the components can be measured against it. */
function checkBudget(budget: LabBudget, report: Report): boolean {
  const cpu = checkCpu(budget.cpu, report);
  const memory = checkSize(budget.memory, MAX_LAB_BUDGET.memoryBytes, 'memory', report);
  const storage = checkSize(budget.storage, MAX_LAB_BUDGET.storageBytes, 'storage', report);
  return cpu && memory && storage;
}

function checkCpu(text: string, report: Report): boolean {
  const millicores = parseCpu(text);
  const path = ['spec', 'resources', 'cpu'];
  if (millicores === undefined || millicores === 0) {
    report(path, `${JSON.stringify(text)} is not an amount of CPU above 0 (examples: 500m, 1, 2.5)`);
    return false;
  }
  if (millicores > MAX_LAB_BUDGET.cpuMillicores) {
    report(
      path,
      `${text} is more than the most one student may have (${MAX_LAB_BUDGET.cpuMillicores / 1000})`,
    );
    return false;
  }
  return true;
}

/** Memory must be above 0; storage may be 0 (a lab without volumes). */
function checkSize(text: string, maximum: number, what: 'memory' | 'storage', report: Report): boolean {
  const bytes = parseBytes(text);
  const path = ['spec', 'resources', what];
  const zeroAllowed = what === 'storage';
  // Checked on the raw value first: `1Ei` is too big to be a whole number of bytes in a double.
  if ((parseQuantity(text) ?? 0) > maximum) {
    report(path, `${text} is more than the most one student may have (${formatByteQuantity(maximum)})`);
    return false;
  }
  if (bytes === undefined || (!zeroAllowed && bytes === 0)) {
    const above = zeroAllowed ? '' : ' above 0';
    report(path, `${JSON.stringify(text)} is not an amount of ${what}${above} (examples: 512Mi, 1Gi, 2G)`);
    return false;
  }
  return true;
}

function checkComponents(components: readonly LabComponent[], report: Report): void {
  reportDuplicates(
    components.map((component) => component.name),
    (index, name) =>
      report(
        ['spec', 'components', index, 'name'],
        `another component is already named ${JSON.stringify(name)}`,
      ),
  );
  components.forEach((component, index) => {
    checkComponent(component, ['spec', 'components', index], report);
  });
}

function checkComponent(component: LabComponent, at: readonly PropertyKey[], report: Report): void {
  const ports = component.ports ?? [];
  reportDuplicates(
    ports.map((port) => port.name),
    (index, name) =>
      report(
        [...at, 'ports', index, 'name'],
        `another port of this component is named ${JSON.stringify(name)}`,
      ),
  );
  reportDuplicates(
    ports.map((port) => `${port.port}/${port.protocol}`),
    (index) => report([...at, 'ports', index, 'port'], `port ${ports[index]?.port} is listed twice`),
  );
  const env = component.env ?? [];
  reportDuplicates(
    env.map((variable) => variable.name),
    (index, name) =>
      report([...at, 'env', index, 'name'], `${name} is set twice (Kubernetes would keep the last silently)`),
  );
  if (component.vnc) {
    const vncPort = component.vnc.port;
    const listed = ports.findIndex((port) => port.port === vncPort);
    if (listed >= 0) {
      report(
        [...at, 'vnc', 'port'],
        `port ${vncPort} is also listed in ports[${listed}]; list it once, under vnc`,
      );
    }
    const named = ports.findIndex((port) => port.name === 'vnc');
    if (named >= 0) report([...at, 'ports', named, 'name'], `the port name "vnc" is taken by vnc.port`);
  }
  checkMounts(component, at, report);
  if (component.kind === 'vm') checkVm(component, at, report);
}

function checkMounts(component: LabComponent, at: readonly PropertyKey[], report: Report): void {
  const volumes = component.volumes ?? [];
  reportDuplicates(
    volumes.map((volume) => volume.name),
    (index, name) =>
      report(
        [...at, 'volumes', index, 'name'],
        `another volume of this component is named ${JSON.stringify(name)}`,
      ),
  );
  const mounts = [
    ...volumes.map((volume, index) => ({
      path: volume.mountPath,
      field: [...at, 'volumes', index, 'mountPath'],
    })),
    ...(component.writablePaths ?? []).map((path, index) => ({
      path,
      field: [...at, 'writablePaths', index],
    })),
  ];
  const seen = new Set<string>([SCRATCH_PATH]);
  for (const mount of mounts) {
    if (mount.path === SCRATCH_PATH)
      report(mount.field, `${SCRATCH_PATH} is always a scratch directory; use another path`);
    else if (seen.has(mount.path)) report(mount.field, `${mount.path} is mounted twice`);
    seen.add(mount.path);
  }
  volumes.forEach((volume, index) => {
    const bytes = parseBytes(volume.size);
    if (bytes === undefined || bytes === 0) {
      report(
        [...at, 'volumes', index, 'size'],
        `${JSON.stringify(volume.size)} is not a size above 0 (examples: 1Gi, 512Mi)`,
      );
    }
  });
}

/** VMs (KubeVirt) boot a disk image: container-only fields would be silently ignored, so refuse them. */
function checkVm(component: LabComponent, at: readonly PropertyKey[], report: Report): void {
  for (const field of ['command', 'args', 'env', 'writablePaths', 'runAsUser'] as const) {
    if (component[field] !== undefined)
      report([...at, field], `not supported for kind: vm (a VM boots its disk image)`);
  }
}

function checkStorage(template: LabTemplate, report: Report): void {
  const budget = parseBytes(template.spec.resources.storage) ?? 0;
  const sizes = template.spec.components.flatMap((component) =>
    (component.volumes ?? []).map((volume) => ({
      label: `${component.name}/${volume.name} ${volume.size}`,
      bytes: parseBytes(volume.size),
    })),
  );
  if (sizes.some((size) => size.bytes === undefined)) return;
  const total = sizes.reduce((sum, size) => sum + (size.bytes ?? 0), 0);
  if (total > budget) {
    report(
      ['spec', 'resources', 'storage'],
      `the volumes need ${formatByteQuantity(total)} together (${sizes.map((size) => size.label).join(', ')}), ` +
        `more than the budget of ${template.spec.resources.storage}`,
    );
  }
}

function checkCheck(
  check: LabCheck,
  components: readonly LabComponent[],
  at: readonly PropertyKey[],
  report: Report,
): void {
  const component = components.find((candidate) => candidate.name === check.component);
  if (!component) {
    const names = components.map((candidate) => candidate.name).join(', ');
    report(
      [...at, 'component'],
      `no component is named ${JSON.stringify(check.component)} (the components: ${names})`,
    );
    return;
  }
  if ('exec' in check) {
    if (component.kind === 'vm')
      report([...at, 'exec'], `exec checks need a container; ${component.name} is a vm`);
    return;
  }
  const kind = 'http' in check ? 'http' : 'tcp';
  const port = 'http' in check ? check.http.port : check.tcp.port;
  const tcpPorts = [
    ...(component.ports ?? [])
      .filter((candidate) => candidate.protocol === 'TCP')
      .map((candidate) => candidate.port),
    ...(component.vnc ? [component.vnc.port] : []),
  ];
  if (!tcpPorts.includes(port)) {
    const listed = tcpPorts.length > 0 ? `its TCP ports: ${tcpPorts.join(', ')}` : 'it has no TCP ports';
    report([...at, kind, 'port'], `${component.name} does not expose TCP port ${port} (${listed})`);
  }
}

function checkLifetime(lifetime: LabLifetime, report: Report): void {
  const idle = lifetimeField(lifetime.idleStopAfter, ['spec', 'lifetime', 'idleStopAfter'], report);
  const expire = lifetimeField(lifetime.expireAfter, ['spec', 'lifetime', 'expireAfter'], report);
  if (idle !== undefined && expire !== undefined && idle > expire) {
    report(
      ['spec', 'lifetime', 'idleStopAfter'],
      `${lifetime.idleStopAfter} is longer than expireAfter (${lifetime.expireAfter}): the lab would expire before it could idle`,
    );
  }
}

function lifetimeField(text: string, path: readonly PropertyKey[], report: Report): number | undefined {
  const ms = parseDuration(text);
  if (ms === undefined) {
    report(path, `${JSON.stringify(text)} is not a duration (examples: 45m, 2h, 30d, 1h30m)`);
  } else if (ms < MIN_LIFETIME_MS || ms > MAX_LIFETIME_MS) {
    report(path, `${text} is outside 1m … 366d`);
  } else {
    return ms;
  }
  return undefined;
}

function reportDuplicates(
  values: readonly string[],
  onDuplicate: (index: number, value: string) => void,
): void {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (seen.has(value)) onDuplicate(index, value);
    seen.add(value);
  });
}
