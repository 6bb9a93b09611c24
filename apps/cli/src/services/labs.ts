import { readFile } from 'node:fs/promises';
import { labTemplateJsonSchema, parseLabTemplate } from '@aperture/api-contract';
import { catalogLabTemplate, LAB_CATALOG, type LabTemplateProblem } from '@aperture/core';
import { stringify } from 'yaml';
import { CliError, EXIT } from '../errors.ts';
import { type Output, table } from '../output.ts';

/**
 * Lab templates without a server: check a file, list the built-in types, print a type as a
 * template to start from, print the JSON Schema (for editors). Pure reads of local input.
 */
export async function validateLabFile(file: string, out: Output): Promise<number> {
  const text = await readInput(file);
  const result = parseLabTemplate(text);
  if (result.ok) {
    out.result({ valid: true, name: result.template.metadata.name }, (r) => `${file}: valid (lab ${r.name})`);
    return EXIT.ok;
  }
  out.result({ valid: false, errors: result.errors }, (r) => problemsText(file, r.errors));
  return EXIT.rejected;
}

export function listLabTypes(out: Output): void {
  const rows = LAB_CATALOG.map((entry) => ({ type: entry.type, description: entry.description }));
  out.result(rows, (r) =>
    table(r, [
      { header: 'TYPE', value: (row) => row.type },
      { header: 'DESCRIPTION', value: (row) => row.description },
    ]),
  );
}

export interface LabTemplateFlags {
  cpu: string;
  memory: string;
  storage: string;
  name?: string;
}

/** A catalog type as the template it stands for, in YAML (or JSON with -o json). */
export function printLabTemplate(type: string, flags: LabTemplateFlags, out: Output): number {
  const result = catalogLabTemplate(type, {
    cpu: flags.cpu,
    memory: flags.memory,
    storage: flags.storage,
    ...(flags.name ? { name: flags.name } : {}),
  });
  if (!result.ok) {
    // The catalog's errors name the flag's field (spec.resources.cpu) or, for a bad type, just say so.
    out.error(
      result.errors.map((p) => (p.path === 'type' ? p.message : `${p.path}: ${p.message}`)).join('; '),
    );
    return EXIT.usage;
  }
  out.result(result.template, (template) => stringify(template));
  return EXIT.ok;
}

export function printLabSchema(out: Output): void {
  out.raw(`${JSON.stringify(labTemplateJsonSchema(), null, 2)}\n`);
}

function problemsText(source: string, problems: readonly LabTemplateProblem[]): string {
  return `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems
    .map((p) => `  ${p.path || '(document)'}: ${p.message}`)
    .join('\n')}\n`;
}

async function readInput(file: string): Promise<string> {
  try {
    return file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.usage);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
