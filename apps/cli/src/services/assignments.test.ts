import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../api-client.ts';
import { fakeFetch, jsonResponse } from '../testing.ts';
import { loadAssignmentFile, parseAssignmentRef, resolveAssignment } from './assignments.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aperture-asg-'));
  await mkdir(join(dir, 'tests'));
  await writeFile(join(dir, 'tests', 'small.in'), '1 2\n');
  await writeFile(join(dir, 'tests', 'small.out'), '3\n');
  await mkdir(join(dir, 'autograder', 'lib'), { recursive: true });
  await writeFile(join(dir, 'autograder', 'run_autograder'), '#!/bin/sh\n');
  await writeFile(join(dir, 'autograder', 'lib', 'x.bin'), Buffer.from([0, 9]));
});

describe('loadAssignmentFile', () => {
  it('reads JSON, resolves stdinFile / expectedOutputFile relative to the file, and fills defaults', async () => {
    const path = join(dir, 'sum.json');
    await writeFile(
      path,
      JSON.stringify({
        slug: 'sum',
        title: 'Sum',
        languages: ['python'],
        tests: [
          { name: 'small', stdinFile: 'tests/small.in', expectedOutputFile: 'tests/small.out', points: 2 },
        ],
      }),
    );
    const body = await loadAssignmentFile(path);
    expect(body.tests?.[0]).toMatchObject({
      name: 'small',
      stdin: '1 2\n',
      expectedOutput: '3\n',
      points: 2,
    });
    expect(body).toMatchObject({ statement: '', deadline: null, autograder: null, supportFiles: [] });
  });

  it('reads YAML and turns autograderDir into autograder files', async () => {
    const path = join(dir, 'gs.yaml');
    await writeFile(path, 'slug: gs\ntitle: Gradescope\nlanguages: [python]\nautograderDir: autograder\n');
    const body = await loadAssignmentFile(path);
    expect(body.autograder?.files).toEqual([
      { path: 'lib/x.bin', contentBase64: 'AAk=' },
      { path: 'run_autograder', content: '#!/bin/sh\n' },
    ]);
    expect(body).not.toHaveProperty('autograderDir');
  });

  it('says which field is wrong', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, JSON.stringify({ slug: 'x', title: 'X', languages: [] }));
    await expect(loadAssignmentFile(path)).rejects.toThrow(/not a valid assignment: languages:/);
    await writeFile(path, '{ nope');
    await expect(loadAssignmentFile(path)).rejects.toThrow(/not valid JSON/);
  });
});

describe('assignment references', () => {
  it('parses ids and COURSE/slug', () => {
    expect(parseAssignmentRef('asg_1')).toEqual({ id: 'asg_1' });
    expect(parseAssignmentRef('DEMO101/hello')).toEqual({ course: 'DEMO101', slug: 'hello' });
    expect(() => parseAssignmentRef('DEMO101/')).toThrow(/neither/);
  });

  it('resolves a slug through the course endpoint', async () => {
    const { fetch, requests } = fakeFetch(() => jsonResponse({ id: 'asg_1' }));
    await resolveAssignment(new ApiClient({ server: 'http://h', fetch }), 'DEMO101/hello');
    await resolveAssignment(new ApiClient({ server: 'http://h', fetch }), 'asg_1');
    expect(requests.map((r) => r.url.pathname)).toEqual([
      '/api/v1/courses/DEMO101/assignments/hello',
      '/api/v1/assignments/asg_1',
    ]);
  });
});
