export * from './login-backoff.ts';
export * from './login-failures.ts';
export * from './login-guard.ts';
export * from './password-policy.ts';
