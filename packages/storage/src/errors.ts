import { ConflictError } from '@aperture/core';

/** The table and columns of a unique key that clashed, as each driver reports them. */
export interface UniqueViolation {
  table: string;
  columns: string[];
}

/** Human names for the keys users can actually hit; anything else gets a generic message. */
const MESSAGES: Record<string, string> = {
  'users.username': 'A user with that username already exists.',
  'users.id': 'A user with that id already exists.',
  'api_tokens.token_hash': 'An API token with that hash already exists.',
  'courses.code': 'A course with that code already exists.',
  'courses.id': 'A course with that id already exists.',
  'assignments.course_id,slug': 'An assignment with that slug already exists in this course.',
  'enrollments.course_id,user_id': 'That user is already enrolled in this course.',
  'runs.id': 'A run with that id already exists.',
  'labs.id': 'A lab with that id already exists.',
  'lab_deployments.id': 'A lab deployment with that id already exists.',
};

/** Run a write and turn a unique-constraint violation of either driver into a ConflictError. */
export async function mapConflicts<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const violation = uniqueViolation(error);
    if (!violation) throw error;
    throw conflictError(violation, error);
  }
}

export function conflictError(violation: UniqueViolation, cause: unknown): ConflictError {
  const key = `${violation.table}.${violation.columns.join(',')}`;
  const message =
    MESSAGES[key] ?? `A ${violation.table} row with that ${violation.columns.join(', ')} already exists.`;
  const conflict = new ConflictError(message, { table: violation.table, columns: violation.columns });
  conflict.cause = cause;
  return conflict;
}

export function uniqueViolation(error: unknown): UniqueViolation | undefined {
  return sqliteUniqueViolation(error) ?? postgresUniqueViolation(error);
}

interface DriverError {
  code?: unknown;
  message?: unknown;
  table?: unknown;
  detail?: unknown;
}

/** better-sqlite3: code SQLITE_CONSTRAINT_UNIQUE, message "UNIQUE constraint failed: t.a, t.b". */
function sqliteUniqueViolation(error: unknown): UniqueViolation | undefined {
  const { code, message } = (error ?? {}) as DriverError;
  if (code !== 'SQLITE_CONSTRAINT_UNIQUE' && code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return undefined;
  const match = /constraint failed: (.+)$/.exec(String(message));
  const qualified = (match?.[1] ?? '').split(',').map((part) => part.trim());
  const table = qualified[0]?.split('.')[0] ?? 'unknown';
  return { table, columns: qualified.map((part) => part.split('.')[1] ?? part) };
}

/** pg: SQLSTATE 23505 with `table` and a detail "Key (a, b)=(x, y) already exists.". */
function postgresUniqueViolation(error: unknown): UniqueViolation | undefined {
  const { code, table, detail } = (error ?? {}) as DriverError;
  if (code !== '23505') return undefined;
  const match = /^Key \(([^)]*)\)=/.exec(String(detail));
  const columns = (match?.[1] ?? '').split(',').map((column) => column.trim().replace(/^"|"$/g, ''));
  return { table: typeof table === 'string' ? table : 'unknown', columns };
}
