import type { CourseRole } from '../domain/entities.ts';
import { ValidationError } from '../errors.ts';

export interface RosterEntry {
  username: string;
  displayName: string;
  email: string | null;
  role: CourseRole;
}

const ROLES: readonly CourseRole[] = ['instructor', 'ta', 'student'];
export const MAX_ROSTER_ROWS = 5000;

/**
 * Parse a roster CSV: a header row naming at least `username`; optional `name`/`display_name`,
 * `email`, `role` (default student). Errors name the line, and nothing is imported if any row is bad.
 */
export function parseRosterCsv(text: string): RosterEntry[] {
  const rows = parseCsv(text).filter((row) => row.some((cell) => cell.trim() !== ''));
  const header = rows.shift()?.map((h) => h.trim().toLowerCase());
  if (!header) throw new ValidationError('The roster is empty.');
  const col = (...names: string[]) => header.findIndex((h) => names.includes(h));
  const username = col('username', 'user', 'login');
  if (username < 0) throw new ValidationError('The roster needs a "username" column in its header row.');
  const name = col('name', 'display_name', 'displayname', 'full_name');
  const email = col('email', 'e-mail', 'mail');
  const role = col('role');
  if (rows.length > MAX_ROSTER_ROWS)
    throw new ValidationError(`A roster may have at most ${MAX_ROSTER_ROWS} rows.`);
  const seen = new Set<string>();
  return rows.map((row, index) => {
    const line = index + 2;
    const user = (row[username] ?? '').trim();
    if (!/^[a-zA-Z0-9._@-]{1,64}$/.test(user)) {
      throw new ValidationError(`Line ${line}: "${user}" is not a valid username.`, { line });
    }
    if (seen.has(user)) throw new ValidationError(`Line ${line}: "${user}" appears twice.`, { line });
    seen.add(user);
    const roleText = (role >= 0 ? (row[role] ?? '') : '').trim().toLowerCase() || 'student';
    if (!ROLES.includes(roleText as CourseRole)) {
      throw new ValidationError(`Line ${line}: role "${roleText}" is not one of ${ROLES.join(', ')}.`, {
        line,
      });
    }
    const emailText = email >= 0 ? (row[email] ?? '').trim() : '';
    return {
      username: user,
      displayName: (name >= 0 ? (row[name] ?? '').trim() : '') || user,
      email: emailText === '' ? null : emailText,
      role: roleText as CourseRole,
    };
  });
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
