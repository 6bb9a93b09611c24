/**
 * The closed set of error types the domain raises. The HTTP layer maps `code` to a status;
 * the CLI prints `message`. Match errors by `code`, never by message text.
 */
export type ErrorCode =
  | 'validation_failed'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'payload_too_large'
  | 'unavailable'
  | 'internal';

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('validation_failed', message, details);
    this.name = 'ValidationError';
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Sign in or pass an API token (Authorization: Bearer …).') {
    super('unauthenticated', message);
    this.name = 'UnauthenticatedError';
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You do not have permission to do that.') {
    super('forbidden', message);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends AppError {
  constructor(kind: string, id: string) {
    super('not_found', `${kind} ${id} was not found.`, { kind, id });
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('conflict', message, details);
    this.name = 'ConflictError';
  }
}

export class RateLimitedError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('rate_limited', message, details);
    this.name = 'RateLimitedError';
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('payload_too_large', message, details);
    this.name = 'PayloadTooLargeError';
  }
}

export class UnavailableError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('unavailable', message, details);
    this.name = 'UnavailableError';
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
