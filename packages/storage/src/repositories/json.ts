/** JSON columns are text on both dialects; null stays SQL NULL rather than the text "null". */
export function jsonOrNull(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

/** Parses a column this package wrote itself, so the shape is trusted. */
export function parseOrNull<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}
