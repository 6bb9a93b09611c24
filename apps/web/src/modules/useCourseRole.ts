import { useQuery } from '@tanstack/react-query';
import { meQuery } from '../api/queries/auth.ts';
import { coursesQuery } from '../api/queries/courses.ts';

/** The viewer's standing in a course (by id or code): staff grade, instructors edit. */
export function useCourseRole(courseIdOrCode: string | null | undefined) {
  const me = useQuery(meQuery());
  const courses = useQuery(coursesQuery());
  const course = courses.data?.find((c) => c.id === courseIdOrCode || c.code === courseIdOrCode);
  const role = course?.role ?? null;
  const isAdmin = me.data?.role === 'admin';
  return {
    course,
    role,
    isStaff: isAdmin || role === 'instructor' || role === 'ta',
    canEdit: isAdmin || role === 'instructor',
    ready: me.isSuccess && courses.isSuccess,
  };
}
