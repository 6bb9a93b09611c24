import type { CourseRole, GlobalRole, Run } from '../domain/entities.ts';

/**
 * Who may do what. Pure functions over the actor and their course role; routes call these and
 * throw ForbiddenError on false. Kept in one file so the whole policy reads in one sitting.
 */
export interface Actor {
  userId: string;
  role: GlobalRole;
}

export const isAdmin = (actor: Actor): boolean => actor.role === 'admin';
export const isCourseStaff = (role: CourseRole | undefined): boolean =>
  role === 'instructor' || role === 'ta';

export const canCreateCourse = (actor: Actor): boolean => actor.role === 'admin' || actor.role === 'staff';
export const canManageUsers = (actor: Actor): boolean => isAdmin(actor);
/** The system page: queue counts of everyone, the backend's details (socket paths, nodes). */
export const canViewSystem = (actor: Actor): boolean => actor.role === 'admin' || actor.role === 'staff';

export const canViewCourse = (actor: Actor, role: CourseRole | undefined): boolean =>
  isAdmin(actor) || role !== undefined;

/** Enrollments, assignments: instructors. TAs help grade but do not change the course. */
export const canEditCourse = (actor: Actor, role: CourseRole | undefined): boolean =>
  isAdmin(actor) || role === 'instructor';

/** Gradebook, every submission, hidden tests. */
export const canGradeCourse = (actor: Actor, role: CourseRole | undefined): boolean =>
  isAdmin(actor) || isCourseStaff(role);

export const canSubmit = (role: CourseRole | undefined): boolean => role !== undefined;

/** A run is visible to its owner, to the staff of its course, and to admins. */
export const canViewRun = (
  actor: Actor,
  run: Pick<Run, 'userId'>,
  roleInRunCourse: CourseRole | undefined,
): boolean => isAdmin(actor) || run.userId === actor.userId || isCourseStaff(roleInRunCourse);

export const canCancelRun = canViewRun;
