import type { Course, CourseRole, Enrollment } from '../domain/entities.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import {
  type Actor,
  canCreateCourse,
  canEditCourse,
  canGradeCourse,
  canViewCourse,
  isAdmin,
} from '../policy/authz.ts';
import { parseRosterCsv } from '../views/roster-csv.ts';
import type { AuthService } from './auth-service.ts';
import { type CoreDeps, isoNow } from './deps.ts';

const COURSE_CODE = /^[A-Za-z0-9._-]{1,40}$/;

export interface RosterImportSummary {
  created: string[];
  enrolled: string[];
  updated: string[];
  unchanged: string[];
}

export class CourseService {
  constructor(
    private readonly deps: CoreDeps,
    private readonly auth: AuthService,
  ) {}

  async create(actor: Actor, input: { code: string; title: string }): Promise<Course> {
    if (!canCreateCourse(actor)) throw new ForbiddenError('Only staff and admins can create courses.');
    if (!COURSE_CODE.test(input.code)) {
      throw new ValidationError('A course code is 1–40 letters, digits or . _ -.', { field: 'code' });
    }
    if (input.title.trim() === '') throw new ValidationError('A course needs a title.', { field: 'title' });
    const now = isoNow(this.deps.clock);
    const course: Course = {
      id: this.deps.ids.next('crs'),
      code: input.code,
      title: input.title.trim(),
      createdAt: now,
    };
    await this.deps.store.transaction(async (store) => {
      await store.courses.insert(course);
      await store.enrollments.upsert({
        courseId: course.id,
        userId: actor.userId,
        role: 'instructor',
        createdAt: now,
      });
    });
    return course;
  }

  async list(actor: Actor): Promise<Array<Course & { role: CourseRole | null }>> {
    if (isAdmin(actor)) {
      const mine = new Map(
        (await this.deps.store.courses.listForUser(actor.userId)).map((c) => [c.id, c.role]),
      );
      return (await this.deps.store.courses.list()).map((c) => ({ ...c, role: mine.get(c.id) ?? null }));
    }
    return this.deps.store.courses.listForUser(actor.userId);
  }

  /** Resolve a course by id or code, checking the actor may see it. Returns the actor's role. */
  async get(actor: Actor, idOrCode: string): Promise<{ course: Course; role: CourseRole | undefined }> {
    const course =
      (await this.deps.store.courses.get(idOrCode)) ?? (await this.deps.store.courses.getByCode(idOrCode));
    // Not-found and forbidden look alike to outsiders: a student cannot probe which courses exist.
    if (!course) throw new NotFoundError('Course', idOrCode);
    const role = await this.roleOf(actor, course.id);
    if (!canViewCourse(actor, role)) throw new NotFoundError('Course', idOrCode);
    return { course, role };
  }

  async roleOf(actor: Actor, courseId: string): Promise<CourseRole | undefined> {
    return (await this.deps.store.enrollments.get(courseId, actor.userId))?.role;
  }

  async enroll(
    actor: Actor,
    courseIdOrCode: string,
    input: {
      username: string;
      role: CourseRole;
      displayName?: string | undefined;
      email?: string | null | undefined;
    },
  ): Promise<Enrollment & { created: boolean }> {
    const { course, role } = await this.get(actor, courseIdOrCode);
    if (!canEditCourse(actor, role))
      throw new ForbiddenError('Only the course instructors can enroll people.');
    return this.enrollOne(course.id, input);
  }

  async importRoster(actor: Actor, courseIdOrCode: string, csv: string): Promise<RosterImportSummary> {
    const { course, role } = await this.get(actor, courseIdOrCode);
    if (!canEditCourse(actor, role))
      throw new ForbiddenError('Only the course instructors can import a roster.');
    const entries = parseRosterCsv(csv);
    const summary: RosterImportSummary = { created: [], enrolled: [], updated: [], unchanged: [] };
    for (const entry of entries) {
      const before = await this.existingRole(course.id, entry.username);
      const result = await this.enrollOne(course.id, entry);
      if (result.created) summary.created.push(entry.username);
      if (before === undefined) summary.enrolled.push(entry.username);
      else if (before !== entry.role) summary.updated.push(entry.username);
      else summary.unchanged.push(entry.username);
    }
    return summary;
  }

  async listEnrollments(actor: Actor, courseIdOrCode: string) {
    const { course, role } = await this.get(actor, courseIdOrCode);
    if (!canGradeCourse(actor, role)) throw new ForbiddenError('Only course staff can see the roster.');
    return this.deps.store.enrollments.listByCourse(course.id);
  }

  async unenroll(actor: Actor, courseIdOrCode: string, userId: string): Promise<void> {
    const { course, role } = await this.get(actor, courseIdOrCode);
    if (!canEditCourse(actor, role))
      throw new ForbiddenError('Only the course instructors can remove people.');
    if (!(await this.deps.store.enrollments.delete(course.id, userId)))
      throw new NotFoundError('Enrollment', userId);
  }

  private async existingRole(courseId: string, username: string): Promise<CourseRole | undefined> {
    const user = await this.deps.store.users.getByUsername(username);
    return user ? (await this.deps.store.enrollments.get(courseId, user.id))?.role : undefined;
  }

  /** Enroll by username, creating a password-less account when the person is new. */
  private async enrollOne(
    courseId: string,
    input: {
      username: string;
      role: CourseRole;
      displayName?: string | undefined;
      email?: string | null | undefined;
    },
  ): Promise<Enrollment & { created: boolean }> {
    let user = await this.deps.store.users.getByUsername(input.username);
    const created = !user;
    if (!user) {
      user = await this.auth.createUser('system', {
        username: input.username,
        displayName: input.displayName,
        email: input.email,
      });
    }
    const existing = await this.deps.store.enrollments.get(courseId, user.id);
    const enrollment: Enrollment = {
      courseId,
      userId: user.id,
      role: input.role,
      createdAt: existing?.createdAt ?? isoNow(this.deps.clock),
    };
    await this.deps.store.enrollments.upsert(enrollment);
    return { ...enrollment, created };
  }
}
