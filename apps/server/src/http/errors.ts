import { type AppError, type ErrorCode, isAppError } from '@aperture/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

const STATUS: Record<ErrorCode, number> = {
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode | string; message: string; details?: Record<string, unknown> };
}

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** Every error leaves the API as `{ error: { code, message, details } }`. */
export function handleError(
  error: FastifyError | AppError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  if (isAppError(error)) {
    const retryAfter = error.details?.['retryAfterSeconds'];
    // 429s that know when to come back say so (RFC 9110 Retry-After, in seconds).
    if (error.code === 'rate_limited' && typeof retryAfter === 'number')
      reply.header('retry-after', String(retryAfter));
    return reply.status(STATUS[error.code]).send(body(error.code, error.message, error.details));
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || fastifyError.code === 'FST_REQ_FILE_TOO_LARGE') {
    return reply
      .status(413)
      .send(body('payload_too_large', 'The request body is larger than the server accepts.'));
  }
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return reply
      .status(415)
      .send(body('unsupported_media_type', 'Send JSON (application/json) or multipart/form-data.'));
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return reply
      .status(fastifyError.statusCode)
      .send(
        body(fastifyError.statusCode === 400 ? 'validation_failed' : 'bad_request', fastifyError.message),
      );
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.status(500).send(body('internal', 'Something went wrong on the server; it has been logged.'));
}

function body(code: string, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: details ? { code, message, details } : { code, message } };
}
