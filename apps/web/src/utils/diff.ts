/** One row of a side-by-side diff: a line on either side, or only one side where lines differ. */
export interface DiffRow {
  kind: 'same' | 'changed' | 'removed' | 'added';
  left: { number: number; text: string } | null;
  right: { number: number; text: string } | null;
}

/** Lines of a program's output; a final newline does not make an extra empty line. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const MAX_CELLS = 4_000_000;

/**
 * Side-by-side line diff (longest common subsequence). Removed and added lines next to each other
 * are paired as `changed`, as diff viewers do. Past a size where LCS is too slow, lines are paired
 * by position.
 */
export function diffLines(expected: string, actual: string): DiffRow[] {
  const a = splitLines(expected);
  const b = splitLines(actual);
  if (a.length * b.length > MAX_CELLS) return byPosition(a, b);
  const lcs = lcsTable(a, b);
  const ops: Array<{ kind: 'same' | 'removed' | 'added'; i: number; j: number }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ kind: 'same', i: i++, j: j++ });
    else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!))
      ops.push({ kind: 'added', i, j: j++ });
    else ops.push({ kind: 'removed', i: i++, j });
  }
  return pairChanges(ops, a, b);
}

function lcsTable(a: string[], b: string[]): number[][] {
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      table[i]![j] =
        a[i] === b[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
  return table;
}

function pairChanges(
  ops: Array<{ kind: 'same' | 'removed' | 'added'; i: number; j: number }>,
  a: string[],
  b: string[],
): DiffRow[] {
  const rows: DiffRow[] = [];
  let k = 0;
  while (k < ops.length) {
    const op = ops[k]!;
    if (op.kind === 'same') {
      rows.push({ kind: 'same', left: line(a, op.i), right: line(b, op.j) });
      k++;
      continue;
    }
    const removed: number[] = [];
    const added: number[] = [];
    while (k < ops.length && ops[k]!.kind !== 'same') {
      const change = ops[k++]!;
      if (change.kind === 'removed') removed.push(change.i);
      else added.push(change.j);
    }
    for (let n = 0; n < Math.max(removed.length, added.length); n++) {
      const left = removed[n] === undefined ? null : line(a, removed[n]!);
      const right = added[n] === undefined ? null : line(b, added[n]!);
      rows.push({ kind: left && right ? 'changed' : left ? 'removed' : 'added', left, right });
    }
  }
  return rows;
}

function byPosition(a: string[], b: string[]): DiffRow[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, n) => {
    const left = n < a.length ? line(a, n) : null;
    const right = n < b.length ? line(b, n) : null;
    const kind = left && right ? (left.text === right.text ? 'same' : 'changed') : left ? 'removed' : 'added';
    return { kind, left, right };
  });
}

const line = (lines: string[], index: number) => ({ number: index + 1, text: lines[index] ?? '' });
