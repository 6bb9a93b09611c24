import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSubmission } from './submissions.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aperture-sub-'));
  await writeFile(join(dir, 'main.py'), 'print(1)\n');
  await writeFile(join(dir, 'lab.zip'), Buffer.from('PK\x03\x04'));
});

describe('buildSubmission', () => {
  it('sends JSON when there are only files', async () => {
    expect(await buildSubmission([join(dir, 'main.py')], { language: 'python', main: 'main.py' })).toEqual({
      language: 'python',
      mainFile: 'main.py',
      files: [{ path: 'main.py', content: 'print(1)\n' }],
    });
  });

  it('sends multipart with the archive when --zip is given', async () => {
    const form = await buildSubmission([join(dir, 'main.py')], {
      language: 'python',
      zip: join(dir, 'lab.zip'),
    });
    expect(form).toBeInstanceOf(FormData);
    const data = form as FormData;
    expect(data.get('language')).toBe('python');
    expect((data.get('files') as File).name).toBe('main.py');
    expect(await (data.get('files') as File).text()).toBe('print(1)\n');
    expect((data.get('archive') as File).name).toBe('lab.zip');
  });

  it('needs files or a zip', async () => {
    await expect(buildSubmission([], { language: 'python' })).rejects.toThrow(/at least one file/);
  });
});
