/** Query keys in one place, so a mutation knows exactly what to invalidate. */
export const keys = {
  me: ['me'] as const,
  courses: ['courses'] as const,
  course: (code: string) => ['courses', code] as const,
  enrollments: (code: string) => ['courses', code, 'enrollments'] as const,
  gradebook: (code: string) => ['courses', code, 'gradebook'] as const,
  assignments: (code: string) => ['courses', code, 'assignments'] as const,
  assignment: (code: string, slug: string) => ['courses', code, 'assignments', slug] as const,
  submissions: (assignmentId: string, userId?: string) =>
    ['submissions', assignmentId, userId ?? 'mine'] as const,
  allSubmissions: (assignmentId: string) => ['submissions', assignmentId] as const,
  languages: ['languages'] as const,
  run: (id: string) => ['runs', id] as const,
  runFiles: (id: string) => ['runs', id, 'files'] as const,
  users: ['users'] as const,
  tokens: ['tokens'] as const,
  system: ['system'] as const,
};
