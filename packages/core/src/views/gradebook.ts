import type { Assignment, Enrollment, Run } from '../domain/entities.ts';

export interface GradebookRow {
  userId: string;
  username: string;
  displayName: string;
  /** Best score per assignment id; null when nothing was graded. */
  scores: Record<string, number | null>;
  submissions: Record<string, number>;
  total: number;
}

export interface Gradebook {
  assignments: Array<{ id: string; slug: string; title: string; maxScore: number }>;
  rows: GradebookRow[];
}

/**
 * The best completed score of each student on each assignment. Best rather than last matches
 * what most course staff expect when students may resubmit; it is the PrairieLearn default.
 */
export function buildGradebook(
  assignments: Assignment[],
  students: Array<Enrollment & { username: string; displayName: string }>,
  runs: Run[],
): Gradebook {
  const best = new Map<string, number>();
  const counts = new Map<string, number>();
  for (const run of runs) {
    if (!run.assignmentId) continue;
    const key = `${run.userId}\u0000${run.assignmentId}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (run.status === 'completed' && run.score !== null)
      best.set(key, Math.max(best.get(key) ?? 0, run.score));
  }
  const rows = students.map((student) => {
    const scores: Record<string, number | null> = {};
    const submissions: Record<string, number> = {};
    for (const assignment of assignments) {
      const key = `${student.userId}\u0000${assignment.id}`;
      scores[assignment.id] = best.get(key) ?? null;
      submissions[assignment.id] = counts.get(key) ?? 0;
    }
    const total = Object.values(scores).reduce<number>((sum, s) => sum + (s ?? 0), 0);
    return {
      userId: student.userId,
      username: student.username,
      displayName: student.displayName,
      scores,
      submissions,
      total,
    };
  });
  return {
    assignments: assignments.map((a) => ({
      id: a.id,
      slug: a.slug,
      title: a.title,
      maxScore: assignmentMaxScore(a),
    })),
    rows,
  };
}

export function assignmentMaxScore(assignment: Assignment): number {
  return assignment.tests.reduce((sum, t) => sum + t.points, 0);
}

export function gradebookToCsv(gradebook: Gradebook): string {
  const header = ['username', 'display_name', ...gradebook.assignments.map((a) => a.slug), 'total'];
  const lines = gradebook.rows.map((row) => [
    row.username,
    row.displayName,
    ...gradebook.assignments.map((a) => formatScore(row.scores[a.id] ?? null)),
    formatScore(row.total),
  ]);
  return [header, ...lines].map((cells) => cells.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

const formatScore = (score: number | null): string =>
  score === null ? '' : String(Math.round(score * 1000) / 1000);

/** Quote a cell, and defuse spreadsheet formulas (=, +, -, @) a student could put in their name. */
export function csvCell(value: string): string {
  const defused = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(defused) ? `"${defused.replace(/"/g, '""')}"` : defused;
}
