export type OutputFormat = 'text' | 'json';

export interface Stream {
  write(chunk: string): unknown;
  isTTY?: boolean | undefined;
}

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
}

/**
 * Results go to stdout (a table for people, one JSON document with `-o json` for scripts);
 * diagnostics and progress go to stderr so they never corrupt what a script parses.
 */
export class Output {
  constructor(
    readonly format: OutputFormat,
    readonly stdout: Stream = process.stdout,
    readonly stderr: Stream = process.stderr,
  ) {}

  get json(): boolean {
    return this.format === 'json';
  }

  /** Print a result: `data` as JSON, or what `text` renders from it. */
  result<T>(data: T, text: (data: T) => string): void {
    const rendered = this.json ? `${JSON.stringify(data, null, 2)}\n` : text(data);
    if (rendered) this.stdout.write(rendered.endsWith('\n') ? rendered : `${rendered}\n`);
  }

  /** Raw bytes for stdout, e.g. a program's output or a CSV file. */
  raw(text: string): void {
    this.stdout.write(text);
  }

  info(message: string): void {
    this.stderr.write(`${message}\n`);
  }

  error(message: string, hint?: string): void {
    this.stderr.write(`error: ${message}\n${hint ? `hint: ${hint}\n` : ''}`);
  }

  get interactive(): boolean {
    return this.stderr.isTTY === true;
  }
}

/** A plain, aligned text table; empty cells show as `-`. */
export function table<T>(rows: readonly T[], columns: ReadonlyArray<Column<T>>, empty = '(none)'): string {
  if (rows.length === 0) return `${empty}\n`;
  const cells = rows.map((row) => columns.map((column) => cellText(column.value(row))));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((row) => (row[i] ?? '').length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n')}\n`;
}

function cellText(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  return String(value).replace(/\s*\n\s*/g, ' ');
}

/** `1.5 MB`, `512 B`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function formatScore(score: number | null, maxScore: number | null): string {
  if (score === null || maxScore === null) return '-';
  return `${round(score)}/${round(maxScore)}`;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
