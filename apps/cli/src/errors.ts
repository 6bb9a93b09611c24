/** The exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The run completed with a verdict other than accepted. */
  rejected: 1,
  /** Bad arguments, or the API refused the request. */
  usage: 2,
  /** The run failed inside Aperture, or we gave up waiting for it. */
  failed: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line (plus an optional hint) and an exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.usage,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The server answered with `{ error: { code, message, details } }` (or something unreadable). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The server could not be reached at all. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
  constructor(
    readonly server: string,
    cause: unknown,
  ) {
    super(`cannot reach ${server}: ${describeCause(cause)}`);
  }
}

function describeCause(cause: unknown): string {
  const inner = (cause as { cause?: { code?: string; message?: string } })?.cause;
  return inner?.code ?? inner?.message ?? (cause as Error)?.message ?? String(cause);
}

const HINTS: Record<string, string> = {
  unauthenticated: 'run `aperture login` or set APERTURE_TOKEN',
  forbidden: 'your account lacks the role for this; ask a course instructor or an admin',
  not_found: 'check the id, course code or slug (`aperture course list`, `aperture assignment list COURSE`)',
  rate_limited: 'wait a little and try again',
  payload_too_large: 'send fewer or smaller files',
  unavailable: 'the server is busy or starting; try again shortly',
};

export interface Report {
  message: string;
  hint?: string | undefined;
  exitCode: ExitCode;
}

/** Turn anything thrown into the one line the user sees. */
export function reportOf(error: unknown): Report {
  if (error instanceof CliError)
    return { message: error.message, hint: error.hint, exitCode: error.exitCode };
  if (error instanceof ApiError) {
    const field = typeof error.details?.['field'] === 'string' ? ` (${error.details['field']})` : '';
    return { message: `${error.message}${field}`, hint: HINTS[error.code], exitCode: EXIT.usage };
  }
  if (error instanceof ConnectionError) {
    return {
      message: error.message,
      hint: 'is the server running? start one with `aperture server`, or pass --server / APERTURE_SERVER',
      exitCode: EXIT.usage,
    };
  }
  return { message: (error as Error)?.message ?? String(error), exitCode: EXIT.usage };
}
