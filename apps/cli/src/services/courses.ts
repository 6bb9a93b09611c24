import type { Course, Enrollment, RosterImportSummary } from '@aperture/core';
import type { CourseListItem } from '../api-client.ts';
import { type Output, table } from '../output.ts';

export function printCourses(courses: CourseListItem[], out: Output): void {
  out.result(courses, (list) =>
    table(
      list,
      [
        { header: 'code', value: (c) => c.code },
        { header: 'title', value: (c) => c.title },
        { header: 'role', value: (c) => c.role },
        { header: 'id', value: (c) => c.id },
      ],
      'No courses yet. Create one: aperture course create CODE --title "..."',
    ),
  );
}

export function printCourse(course: Course, out: Output): void {
  out.result(course, (c) => `Created course ${c.code} (${c.id}): ${c.title}`);
}

export function printEnrollment(
  enrollment: Enrollment & { created: boolean },
  username: string,
  course: string,
  out: Output,
): void {
  out.result(
    { ...enrollment, username },
    (e) => `Enrolled ${username} in ${course} as ${e.role}${e.created ? ' (new user)' : ''}.`,
  );
}

export function printRoster(summary: RosterImportSummary, out: Output): void {
  out.result(summary, (s) =>
    [
      `created ${s.created.length} user(s), enrolled ${s.enrolled.length}, updated ${s.updated.length}, unchanged ${s.unchanged.length}`,
      ...(s.created.length ? [`new users: ${s.created.join(', ')}`] : []),
    ].join('\n'),
  );
}
