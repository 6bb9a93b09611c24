import { Alert } from '@mantine/core';
import { isApiError } from '../api/client.ts';

const TITLES: Record<string, string> = {
  validation_failed: 'Please check the form',
  unauthenticated: 'Please sign in',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  conflict: 'Already exists',
  rate_limited: 'Limit reached',
  payload_too_large: 'Too large',
  unavailable: 'Temporarily unavailable',
  network: 'Cannot reach the server',
};

export function errorTitle(error: unknown): string {
  return isApiError(error) ? (TITLES[error.code] ?? 'Something went wrong') : 'Something went wrong';
}

export function errorMessage(error: unknown): string {
  if (isApiError(error)) {
    const field = error.details?.['field'];
    return typeof field === 'string' && !error.message.includes(field)
      ? `${error.message} (${field})`
      : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A failed request, titled by its error code (never by matching message text). */
export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <Alert color="red" variant="light" title={title ?? errorTitle(error)} role="alert">
      {errorMessage(error)}
    </Alert>
  );
}
