import type { Gradebook } from '@aperture/core';
import type { Language } from '../api-client.ts';
import { type Column, type Output, table } from '../output.ts';

export function printGradebook(gradebook: Gradebook, out: Output): void {
  type Row = Gradebook['rows'][number];
  const columns: Column<Row>[] = [
    { header: 'username', value: (r) => r.username },
    { header: 'name', value: (r) => r.displayName },
    ...gradebook.assignments.map((a) => ({
      header: `${a.slug} /${a.maxScore}`,
      value: (r: Row) => r.scores[a.id] ?? null,
    })),
    { header: 'total', value: (r) => r.total },
  ];
  out.result(gradebook, (g) => table(g.rows, columns, 'No students enrolled.'));
}

export function printLanguages(languages: Language[], out: Output): void {
  out.result(languages, (list) =>
    table(list, [
      { header: 'id', value: (l) => l.id },
      { header: 'name', value: (l) => l.name },
      { header: 'version', value: (l) => l.version },
      { header: 'main file', value: (l) => l.defaultMainFile },
      { header: 'extensions', value: (l) => l.extensions.join(' ') },
    ]),
  );
}
