import type { Gradebook, GradebookRow } from '../api/types.ts';

export type SortKey = 'username' | 'displayName' | 'total' | `a:${string}`;
export interface SortState {
  key: SortKey;
  direction: 'asc' | 'desc';
}

export interface GradebookFilter {
  text: string;
  /** Only students with no graded submission on this assignment id. */
  missing: string | null;
}

export function visibleRows(gradebook: Gradebook, filter: GradebookFilter, sort: SortState): GradebookRow[] {
  const text = filter.text.trim().toLowerCase();
  const rows = gradebook.rows.filter(
    (row) =>
      (text === '' ||
        row.username.toLowerCase().includes(text) ||
        row.displayName.toLowerCase().includes(text)) &&
      (filter.missing === null || (row.scores[filter.missing] ?? null) === null),
  );
  const sign = sort.direction === 'asc' ? 1 : -1;
  return rows.sort((x, y) => sign * compare(sortValue(x, sort.key), sortValue(y, sort.key)));
}

function sortValue(row: GradebookRow, key: SortKey): string | number | null {
  if (key.startsWith('a:')) return row.scores[key.slice(2)] ?? null;
  return row[key as 'username' | 'displayName' | 'total'];
}

/** Missing scores sort below every number, in either direction of the others. */
function compare(a: string | number | null, b: string | number | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}
