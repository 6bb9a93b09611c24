/**
 * How one student's budget is split between the components of a lab. A component may name its
 * CPU and memory; the rest of the budget is shared evenly by the components that do not. The sum
 * never exceeds the budget, so the namespace's ResourceQuota (= the budget) always admits the lab.
 */
import type { LabComponent, LabTemplateProblem, LabTemplateSpec } from './lab-template.ts';
import { formatFieldPath } from './lab-template.ts';
import { formatByteQuantity, formatCpu, MiB, parseBytes, parseCpu } from './quantity.ts';

/** Below these a container does not start reliably; a budget that leaves less is a mistake. */
export const MIN_COMPONENT_CPU_MILLICORES = 10;
export const MIN_COMPONENT_MEMORY_BYTES = 16 * MiB;

export interface ComponentShare {
  component: string;
  cpuMillicores: number;
  memoryBytes: number;
}

export type LabAllocation =
  | { ok: true; shares: ComponentShare[] }
  | { ok: false; errors: LabTemplateProblem[] };

interface Dimension {
  key: 'cpu' | 'memory';
  what: string;
  parse: (text: string) => number | undefined;
  format: (value: number) => string;
  examples: string;
  minimum: number;
  /** Shares are rounded down to this, so they read well (`341Mi`, not `357913941`). */
  step: number;
}

const CPU: Dimension = {
  key: 'cpu',
  what: 'CPU',
  parse: parseCpu,
  format: formatCpu,
  examples: '500m, 1, 2.5',
  minimum: MIN_COMPONENT_CPU_MILLICORES,
  step: 1,
};

const MEMORY: Dimension = {
  key: 'memory',
  what: 'memory',
  parse: parseBytes,
  format: formatByteQuantity,
  examples: '512Mi, 1Gi, 2G',
  minimum: MIN_COMPONENT_MEMORY_BYTES,
  step: MiB,
};

export function allocateLabResources(spec: LabTemplateSpec): LabAllocation {
  const cpu = allocate(spec, CPU);
  const memory = allocate(spec, MEMORY);
  if ('errors' in cpu || 'errors' in memory)
    return { ok: false, errors: [...errorsOf(cpu), ...errorsOf(memory)] };
  const shares = spec.components.map((component, index) => ({
    component: component.name,
    cpuMillicores: cpu.values[index]!,
    memoryBytes: memory.values[index]!,
  }));
  return { ok: true, shares };
}

type DimensionResult = { values: number[] } | { errors: LabTemplateProblem[] };

const errorsOf = (result: DimensionResult) => ('errors' in result ? result.errors : []);

function allocate(spec: LabTemplateSpec, dimension: Dimension): DimensionResult {
  const budgetPath = formatFieldPath(['spec', 'resources', dimension.key]);
  const budget = dimension.parse(spec.resources[dimension.key]);
  if (budget === undefined) {
    return { errors: [{ path: budgetPath, message: notAnAmount(spec.resources[dimension.key], dimension) }] };
  }
  const explicit = explicitAmounts(spec.components, dimension);
  if ('errors' in explicit) return explicit;

  const asked = explicit.amounts.reduce<number>((sum, amount) => sum + (amount ?? 0), 0);
  if (asked > budget) {
    const parts = spec.components
      .filter((component) => component.resources?.[dimension.key] !== undefined)
      .map((component) => `${component.name} ${component.resources?.[dimension.key]}`);
    return {
      errors: [
        {
          path: budgetPath,
          message:
            `the components ask for ${dimension.format(asked)} ${dimension.what} together (${parts.join(', ')}), ` +
            `more than the budget of ${spec.resources[dimension.key]}`,
        },
      ],
    };
  }
  const sharing = spec.components.filter((_, index) => explicit.amounts[index] === undefined);
  const share = sharing.length === 0 ? 0 : roundDown((budget - asked) / sharing.length, dimension.step);
  if (sharing.length > 0 && share < dimension.minimum) {
    return {
      errors: [
        {
          path: budgetPath,
          message: tooSmallShare(spec, sharing, share, { left: budget - asked, budget }, dimension),
        },
      ],
    };
  }
  return { values: explicit.amounts.map((amount) => amount ?? share) };
}

function explicitAmounts(
  components: readonly LabComponent[],
  dimension: Dimension,
): { amounts: (number | undefined)[] } | { errors: LabTemplateProblem[] } {
  const errors: LabTemplateProblem[] = [];
  const amounts = components.map((component, index) => {
    const text = component.resources?.[dimension.key];
    if (text === undefined) return undefined;
    const path = formatFieldPath(['spec', 'components', index, 'resources', dimension.key]);
    const amount = dimension.parse(text);
    if (amount === undefined) errors.push({ path, message: notAnAmount(text, dimension) });
    else if (amount < dimension.minimum) {
      errors.push({
        path,
        message: `${text} is less than the minimum of ${dimension.format(dimension.minimum)} ${dimension.what} per component`,
      });
    }
    return amount;
  });
  return errors.length > 0 ? { errors } : { amounts };
}

function tooSmallShare(
  spec: LabTemplateSpec,
  sharing: readonly LabComponent[],
  share: number,
  amounts: { left: number; budget: number },
  dimension: Dimension,
): string {
  const names = sharing.map((component) => component.name).join(', ');
  const leftText =
    amounts.left === amounts.budget
      ? `the budget of ${spec.resources[dimension.key]}`
      : `the ${dimension.format(amounts.left)} left of the budget of ${spec.resources[dimension.key]} after the components that name theirs`;
  return (
    `${names} would get ${dimension.format(share)} ${dimension.what} each (${leftText}, shared by ${sharing.length}), ` +
    `less than the minimum of ${dimension.format(dimension.minimum)} per component: raise the budget or give the others less`
  );
}

function notAnAmount(text: string, dimension: Dimension): string {
  return `${JSON.stringify(text)} is not an amount of ${dimension.what} (examples: ${dimension.examples})`;
}

function roundDown(value: number, step: number): number {
  return Math.floor(value / step) * step;
}
