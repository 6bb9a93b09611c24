/**
 * Kubernetes resource quantities (`500m`, `1`, `1.5`, `1Gi`, `512Mi`, `2G`, `1e3`) as numbers, so a
 * lab template's budget can be summed and compared before anything reaches a cluster. Only
 * non-negative values: a lab never asks for a negative amount of anything.
 */

const BINARY_SUFFIXES: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The grammar of resource.Quantity without the sign; a bare `E` is exa, `E3` an exponent. */
export const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d{1,3}|[numkMGTPE])?$/;

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;

/** The value of a quantity in base units (cores, bytes), or undefined if it is not one. */
export function parseQuantity(text: string): number | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, digits, suffix = ''] = match;
  const value = Number(digits) * multiplierOf(suffix);
  return Number.isFinite(value) ? value : undefined;
}

function multiplierOf(suffix: string): number {
  if (/^[eE][+-]?\d/.test(suffix)) return 10 ** Number(suffix.slice(1));
  return BINARY_SUFFIXES[suffix] ?? DECIMAL_SUFFIXES[suffix] ?? Number.NaN;
}

/**
 * CPU in millicores. Kubernetes keeps CPU to 1m precision; a finer value (`0.5m`) is refused
 * rather than silently rounded, so what the instructor wrote is what students get.
 */
export function parseCpu(text: string): number | undefined {
  return wholeNumber(parseQuantity(text), 1000);
}

/** Memory or storage in bytes; a fraction of a byte (`0.5`, `100m`) is not a size. */
export function parseBytes(text: string): number | undefined {
  return wholeNumber(parseQuantity(text), 1);
}

function wholeNumber(value: number | undefined, scale: number): number | undefined {
  if (value === undefined) return undefined;
  const scaled = value * scale;
  const rounded = Math.round(scaled);
  // Decimal fractions are not exact in binary (0.1 * 1000): allow float noise, nothing more.
  if (Math.abs(scaled - rounded) > 1e-6 * Math.max(1, Math.abs(scaled))) return undefined;
  return Number.isSafeInteger(rounded) ? rounded : undefined;
}

/** Millicores as the shortest quantity Kubernetes reads back the same: `2`, `500m`. */
export function formatCpu(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

/** Bytes in the largest binary unit that divides them exactly: `1Gi`, `1536Mi`, `1000`. */
export function formatByteQuantity(bytes: number): string {
  for (const unit of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const size = BINARY_SUFFIXES[unit]!;
    if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
