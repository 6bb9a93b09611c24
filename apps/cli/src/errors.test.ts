import { describe, expect, it } from 'vitest';
import { ApiError, CliError, ConnectionError, EXIT, reportOf } from './errors.ts';

describe('reportOf', () => {
  it('hints at logging in on 401', () => {
    const report = reportOf(
      new ApiError(401, 'unauthenticated', 'That API token is unknown, revoked or expired.'),
    );
    expect(report).toEqual({
      message: 'That API token is unknown, revoked or expired.',
      hint: 'run `aperture login` or set APERTURE_TOKEN',
      exitCode: EXIT.usage,
    });
  });

  it('names the field of a validation error', () => {
    expect(reportOf(new ApiError(400, 'validation_failed', 'Bad.', { field: 'language' })).message).toBe(
      'Bad. (language)',
    );
  });

  it('keeps the exit code and hint of a CliError', () => {
    expect(reportOf(new CliError('gave up', EXIT.failed, 'wait longer'))).toEqual({
      message: 'gave up',
      hint: 'wait longer',
      exitCode: 3,
    });
  });

  it('suggests starting a server when none answers', () => {
    const report = reportOf(new ConnectionError('http://h', new TypeError('fetch failed')));
    expect(report.hint).toContain('aperture server');
    expect(report.exitCode).toBe(2);
  });
});
