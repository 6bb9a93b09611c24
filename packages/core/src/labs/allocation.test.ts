import { describe, expect, it } from 'vitest';
import { allocateLabResources } from './allocation.ts';
import type { LabComponent, LabTemplateSpec } from './lab-template.ts';

const spec = (cpu: string, memory: string, components: Partial<LabComponent>[]): LabTemplateSpec => ({
  resources: { cpu, memory, storage: '0' },
  components: components.map((component, index) => ({
    name: `c${index}`,
    kind: 'container',
    image: 'aperture/lab-shell',
    ...component,
  })),
  checks: [],
  lifetime: { idleStopAfter: '2h', expireAfter: '30d' },
});

describe('allocateLabResources', () => {
  it('shares the budget evenly among components that name nothing', () => {
    expect(allocateLabResources(spec('1', '1Gi', [{}, {}]))).toEqual({
      ok: true,
      shares: [
        { component: 'c0', cpuMillicores: 500, memoryBytes: 512 * 2 ** 20 },
        { component: 'c1', cpuMillicores: 500, memoryBytes: 512 * 2 ** 20 },
      ],
    });
  });

  it('gives explicit amounts first and shares the rest, rounded down to 1m and 1Mi', () => {
    const result = allocateLabResources(
      spec('1', '1Gi', [{ resources: { cpu: '400m', memory: '512Mi' } }, {}, {}, {}]),
    );
    expect(
      result.ok && result.shares.map((share) => [share.cpuMillicores, share.memoryBytes / 2 ** 20]),
    ).toEqual([
      [400, 512],
      [200, 170],
      [200, 170],
      [200, 170],
    ]);
  });

  it('never hands out more than the budget', () => {
    const result = allocateLabResources(spec('1', '1000Mi', [{}, {}, {}]));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.shares.reduce((sum, share) => sum + share.cpuMillicores, 0)).toBeLessThanOrEqual(1000);
    expect(result.shares.reduce((sum, share) => sum + share.memoryBytes, 0)).toBeLessThanOrEqual(
      1000 * 2 ** 20,
    );
  });

  it('reports each dimension that does not fit', () => {
    const result = allocateLabResources(
      spec('100m', '64Mi', [
        { resources: { cpu: '200m', memory: '32Mi' } },
        { resources: { memory: '64Mi' } },
      ]),
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        {
          path: 'spec.resources.cpu',
          message: 'the components ask for 200m CPU together (c0 200m), more than the budget of 100m',
        },
        {
          path: 'spec.resources.memory',
          message:
            'the components ask for 96Mi memory together (c0 32Mi, c1 64Mi), more than the budget of 64Mi',
        },
      ],
    });
  });
});
