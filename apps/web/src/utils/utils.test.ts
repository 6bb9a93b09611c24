import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { draftFrom, emptyDraft, slugify, toBody } from '../modules/assignment-form-model.ts';
import { gradebook } from '../testing/fixtures.ts';
import { unzipAutograder } from './files.ts';
import { formatSpan } from './format.ts';
import { visibleRows } from './gradebook.ts';
import { describePeriod, submissionQuota } from './submissions.ts';

describe('gradebook rows', () => {
  const all = { text: '', missing: null };
  it('sorts by any column, both ways, missing scores lowest', () => {
    const names = (key: string, direction: 'asc' | 'desc') =>
      visibleRows(gradebook, all, { key: key as never, direction }).map((r) => r.username);
    expect(names('username', 'asc')).toEqual(['ada', 'robin', 'sam']);
    expect(names('total', 'desc')).toEqual(['robin', 'sam', 'ada']);
    expect(names('a:a2', 'asc')).toEqual(['ada', 'sam', 'robin']);
  });

  it('filters by name and by a missing score', () => {
    const sort = { key: 'username' as const, direction: 'asc' as const };
    expect(visibleRows(gradebook, { text: 'LOVE', missing: null }, sort).map((r) => r.username)).toEqual([
      'ada',
    ]);
    expect(visibleRows(gradebook, { text: '', missing: 'a1' }, sort).map((r) => r.username)).toEqual([
      'robin',
    ]);
  });
});

describe('submission quota', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  it('counts submissions inside the period only', () => {
    const quota = submissionQuota(
      { submissionLimit: { count: 3, periodSeconds: 3600 } },
      [{ createdAt: '2026-01-01T11:30:00Z' }, { createdAt: '2026-01-01T10:00:00Z' }],
      now,
    );
    expect(quota).toEqual({ limit: 3, used: 1, remaining: 2, periodSeconds: 3600 });
  });

  it('is null without a limit and never negative', () => {
    expect(submissionQuota({ submissionLimit: null }, [], now)).toBeNull();
    const many = Array.from({ length: 5 }, () => ({ createdAt: '2026-01-01T11:59:30Z' }));
    expect(submissionQuota({ submissionLimit: { count: 2, periodSeconds: 60 } }, many, now)!.remaining).toBe(
      0,
    );
  });

  it('names periods as people do', () => {
    expect(describePeriod(3600)).toBe('hour');
    expect(describePeriod(86_400 * 7)).toBe('7 days');
    expect(describePeriod(1800)).toBe('30 minutes');
  });
});

describe('autograder zip', () => {
  it('unwraps a single top folder and keeps bytes as base64', () => {
    const zip = zipSync({
      'ag/run_autograder': strToU8('#!/bin/sh\n'),
      'ag/tests/t1.py': strToU8('print(1)\n'),
      'ag/tests/': new Uint8Array(),
    });
    const files = unzipAutograder(zip);
    expect(files.map((f) => f.path).sort()).toEqual(['run_autograder', 'tests/t1.py']);
    expect(atob(files.find((f) => f.path === 'run_autograder')!.contentBase64!)).toBe('#!/bin/sh\n');
  });
});

describe('assignment form model', () => {
  it('turns the form into the API body', () => {
    const draft = {
      ...emptyDraft(),
      slug: 'sum',
      title: 'Sum',
      memoryMb: 64 as const,
      limitCount: 5 as const,
      limitHours: 24 as const,
      deadline: '2030-01-02T03:04',
    };
    const body = toBody(draft);
    expect(body.limits).toEqual({ memoryBytes: 64 * 1024 * 1024 });
    expect(body.submissionLimit).toEqual({ count: 5, periodSeconds: 86_400 });
    expect(body.deadline).toBe(new Date('2030-01-02T03:04').toISOString());
    expect(body.tests[0]).toMatchObject({
      name: 'test 1',
      comparator: { kind: 'whitespace' },
      visibility: 'visible',
    });
  });

  it('round-trips an assignment, keeping comparators the form does not edit', () => {
    const body = toBody(
      draftFrom({
        id: 'a1',
        courseId: 'c1',
        slug: 'x',
        title: 'X',
        statement: '',
        languages: ['c'],
        tests: [
          {
            name: 'r',
            stdin: '',
            expectedOutput: '',
            points: 1,
            visibility: 'hidden',
            comparator: { kind: 'regex', pattern: '^a' },
          },
        ],
        limits: { cpuMs: 500 },
        deadline: null,
        submissionLimit: null,
        supportFiles: [{ path: 'checker.py', contentBase64: 'eA==' }],
        autograder: null,
        createdAt: '',
        updatedAt: '',
      }),
    );
    expect(body.tests[0]!.comparator).toEqual({ kind: 'regex', pattern: '^a' });
    expect(body.limits).toEqual({ cpuMs: 500 });
    expect(body.supportFiles).toEqual([{ path: 'checker.py', contentBase64: 'eA==' }]);
  });

  it('makes slugs from titles', () => {
    expect(slugify('Sum of Two Numbers!')).toBe('sum-of-two-numbers');
  });
});

describe('formatSpan', () => {
  it('says a length of time as people do', () => {
    expect(formatSpan(45_000)).toBe('45 s');
    expect(formatSpan(30 * 60_000)).toBe('30 min');
    expect(formatSpan(2 * 3_600_000)).toBe('2 h');
    expect(formatSpan(90 * 60_000)).toBe('1 h 30 min');
    expect(formatSpan(30 * 86_400_000)).toBe('30 days');
  });
});
