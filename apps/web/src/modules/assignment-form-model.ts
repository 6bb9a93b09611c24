import type { Assignment, AssignmentBody, SourceFileBody } from '../api/types.ts';

export interface TestDraft {
  key: string;
  name: string;
  stdin: string;
  expectedOutput: string;
  points: number;
  visibility: 'visible' | 'hidden' | 'after_due_date';
  comparator: 'whitespace' | 'exact';
}

export interface AssignmentDraft {
  slug: string;
  title: string;
  statement: string;
  languages: string[];
  cpuMs: number | '';
  wallMs: number | '';
  memoryMb: number | '';
  /** `YYYY-MM-DDTHH:mm` in local time, as <input type="datetime-local"> gives it; '' for none. */
  deadline: string;
  limitCount: number | '';
  limitHours: number | '';
  tests: TestDraft[];
  autograder: SourceFileBody[] | null;
  /** Kept as they are: the form does not edit support files or other comparators yet. */
  keep: Pick<AssignmentBody, 'supportFiles'> & {
    comparators: Record<string, AssignmentBody['tests'][number]['comparator']>;
  };
}

let counter = 0;
export const newKey = () => `t${++counter}`;

export const emptyTest = (n: number): TestDraft => ({
  key: newKey(),
  name: `test ${n}`,
  stdin: '',
  expectedOutput: '',
  points: 1,
  visibility: 'visible',
  comparator: 'whitespace',
});

export function emptyDraft(): AssignmentDraft {
  return {
    slug: '',
    title: '',
    statement: '',
    languages: ['python'],
    cpuMs: '',
    wallMs: '',
    memoryMb: '',
    deadline: '',
    limitCount: '',
    limitHours: '',
    tests: [emptyTest(1)],
    autograder: null,
    keep: { supportFiles: [], comparators: {} },
  };
}

export function draftFrom(a: Assignment): AssignmentDraft {
  return {
    slug: a.slug,
    title: a.title,
    statement: a.statement,
    languages: a.languages,
    cpuMs: a.limits.cpuMs ?? '',
    wallMs: a.limits.wallMs ?? '',
    memoryMb: a.limits.memoryBytes ? Math.round(a.limits.memoryBytes / 1024 / 1024) : '',
    deadline: a.deadline ? toLocalInput(a.deadline) : '',
    limitCount: a.submissionLimit?.count ?? '',
    limitHours: a.submissionLimit ? a.submissionLimit.periodSeconds / 3600 : '',
    tests: a.tests.map((t) => ({
      key: newKey(),
      name: t.name,
      stdin: t.stdin,
      expectedOutput: t.expectedOutput,
      points: t.points,
      visibility: t.visibility,
      comparator: t.comparator.kind === 'exact' ? 'exact' : 'whitespace',
    })),
    autograder: a.autograder
      ? a.autograder.files.map((f) => ({ path: f.path, contentBase64: f.contentBase64 }))
      : null,
    keep: {
      supportFiles: a.supportFiles.map((f) => ({ path: f.path, contentBase64: f.contentBase64 })),
      comparators: Object.fromEntries(
        a.tests
          .filter((t) => t.comparator.kind === 'regex' || t.comparator.kind === 'checker')
          .map((t) => [t.name, t.comparator]),
      ),
    },
  };
}

export function toBody(d: AssignmentDraft): AssignmentBody {
  const limits: AssignmentBody['limits'] = {};
  if (d.cpuMs !== '') limits.cpuMs = d.cpuMs;
  if (d.wallMs !== '') limits.wallMs = d.wallMs;
  if (d.memoryMb !== '') limits.memoryBytes = d.memoryMb * 1024 * 1024;
  return {
    slug: d.slug.trim(),
    title: d.title.trim(),
    statement: d.statement,
    languages: d.languages,
    tests: d.tests.map((t) => ({
      name: t.name.trim(),
      stdin: t.stdin,
      expectedOutput: t.expectedOutput,
      points: t.points,
      visibility: t.visibility,
      comparator: d.keep.comparators[t.name] ?? { kind: t.comparator },
    })),
    limits,
    deadline: d.deadline ? new Date(d.deadline).toISOString() : null,
    submissionLimit:
      d.limitCount !== '' && d.limitHours !== ''
        ? { count: d.limitCount, periodSeconds: Math.round(d.limitHours * 3600) }
        : null,
    supportFiles: d.keep.supportFiles,
    autograder: d.autograder ? { files: d.autograder } : null,
  };
}

/** Slug from a title: "Sum of Two" → "sum-of-two". */
export const slugify = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);

function toLocalInput(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
