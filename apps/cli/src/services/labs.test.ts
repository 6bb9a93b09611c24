import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLabTemplate } from '@aperture/api-contract';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../errors.ts';
import { Output } from '../output.ts';
import { listLabTypes, printLabTemplate, validateLabFile } from './labs.ts';

function capture(format: 'text' | 'json' = 'text') {
  const streams = { stdout: '', stderr: '' };
  const out = new Output(
    format,
    { write: (chunk: string) => (streams.stdout += chunk) },
    { write: (chunk: string) => (streams.stderr += chunk) },
  );
  return { out, streams };
}

const dir = mkdtempSync(join(tmpdir(), 'aperture-lab-cli-'));

describe('aperture lab', () => {
  it('prints a built-in type as a template that validates', async () => {
    const { out, streams } = capture();
    expect(printLabTemplate('webserver', { cpu: '1', memory: '1Gi', storage: '2Gi' }, out)).toBe(EXIT.ok);
    expect(parseLabTemplate(streams.stdout)).toMatchObject({
      ok: true,
      template: { metadata: { name: 'webserver' } },
    });
    const file = join(dir, 'webserver.yaml');
    writeFileSync(file, streams.stdout);
    const check = capture('json');
    expect(await validateLabFile(file, check.out)).toBe(EXIT.ok);
    expect(JSON.parse(check.streams.stdout)).toEqual({ valid: true, name: 'webserver' });
  });

  it('names every bad field and exits 1', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: aperture.dev/v1alpha1\nkind: LabTemplate\nmetadata: { name: Bad_Name }\nspec:\n  resources: { cpu: "1", memory: 1Gi, storage: 1Gi }\n  components: []\n',
    );
    const { out, streams } = capture();
    expect(await validateLabFile(file, out)).toBe(EXIT.rejected);
    expect(streams.stdout).toContain('metadata.name');
    expect(streams.stdout).toContain('spec.components');
  });

  it('refuses an unknown type or a budget that is not a quantity, listing what is allowed', () => {
    const unknown = capture();
    expect(printLabTemplate('mainframe', { cpu: '1', memory: '1Gi', storage: '1Gi' }, unknown.out)).toBe(
      EXIT.usage,
    );
    expect(unknown.streams.stderr).toContain('shell, webserver, database, desktop');
    const bad = capture();
    expect(printLabTemplate('shell', { cpu: 'lots', memory: '1Gi', storage: '1Gi' }, bad.out)).toBe(
      EXIT.usage,
    );
    expect(bad.streams.stderr).toMatch(/cpu/);
  });

  it('lists the types', () => {
    const { out, streams } = capture('json');
    listLabTypes(out);
    expect((JSON.parse(streams.stdout) as Array<{ type: string }>).map((t) => t.type)).toEqual([
      'shell',
      'webserver',
      'database',
      'desktop',
    ]);
  });
});
