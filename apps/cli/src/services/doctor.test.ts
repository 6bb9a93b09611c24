import type { DoctorReport } from '@aperture/backend-kubernetes';
import { describe, expect, it } from 'vitest';
import { Output } from '../output.ts';
import { printDoctorReport, renderDoctorReport } from './doctor.ts';

const report: DoctorReport = {
  server: 'https://10.0.0.1:6443',
  context: 'prod',
  namespace: 'aperture-runs',
  checks: [
    {
      id: 'api',
      title: 'API server',
      status: 'pass',
      detail: 'Kubernetes v1.34.10 at https://10.0.0.1:6443',
    },
    {
      id: 'runtime-classes',
      title: 'RuntimeClasses',
      status: 'warn',
      detail: 'none: runs use the default runtime (runc)',
      hint: 'install gVisor',
    },
    {
      id: 'priority-classes',
      title: 'PriorityClasses',
      status: 'fail',
      detail: 'missing: aperture-runs',
      hint: 'kubectl apply -f deploy/rbac/priorityclasses.yaml',
    },
  ],
  summary: { pass: 1, warn: 1, fail: 1 },
};

describe('aperture doctor output', () => {
  it('text: a mark per line, details aligned, hints indented under what did not pass, a summary', () => {
    expect(renderDoctorReport(report)).toBe(
      [
        'Aperture doctor: https://10.0.0.1:6443 (context prod), namespace aperture-runs',
        '',
        '✔ API server       Kubernetes v1.34.10 at https://10.0.0.1:6443',
        '! RuntimeClasses   none: runs use the default runtime (runc)',
        '                   hint: install gVisor',
        '✖ PriorityClasses  missing: aperture-runs',
        '                   hint: kubectl apply -f deploy/rbac/priorityclasses.yaml',
        '',
        '1 passed, 1 warning, 1 failed',
      ].join('\n'),
    );
  });

  it('a hint shared by consecutive lines (skipped after an earlier failure) is printed once', () => {
    const skipped = (id: 'nodes' | 'priority-classes', title: string) => ({
      id,
      title,
      status: 'fail' as const,
      detail: 'not checked: the API server did not answer',
      hint: 'fix the API server line first',
    });
    const text = renderDoctorReport({
      ...report,
      checks: [skipped('nodes', 'Nodes'), skipped('priority-classes', 'PriorityClasses')],
      summary: { pass: 0, warn: 0, fail: 2 },
    });
    expect(text.match(/hint: fix the API server line first/g)).toHaveLength(1);
  });

  it('json: the report as is, on stdout only', () => {
    let stdout = '';
    let stderr = '';
    const out = new Output(
      'json',
      { write: (s: string) => (stdout += s) },
      { write: (s: string) => (stderr += s) },
    );
    printDoctorReport(report, out);
    expect(JSON.parse(stdout)).toEqual(report);
    expect(stderr).toBe('');
  });
});
