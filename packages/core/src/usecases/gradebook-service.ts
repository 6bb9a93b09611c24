import { ForbiddenError } from '../errors.ts';
import { type Actor, canGradeCourse } from '../policy/authz.ts';
import { buildGradebook, type Gradebook } from '../views/gradebook.ts';
import type { CourseService } from './course-service.ts';
import type { CoreDeps } from './deps.ts';

/** Enough for any course we know of; the gradebook reads every submission of the course. */
const MAX_GRADEBOOK_RUNS = 1_000_000;

export class GradebookService {
  constructor(
    private readonly deps: CoreDeps,
    private readonly courses: CourseService,
  ) {}

  async forCourse(actor: Actor, courseIdOrCode: string): Promise<Gradebook> {
    const { course, role } = await this.courses.get(actor, courseIdOrCode);
    if (!canGradeCourse(actor, role)) throw new ForbiddenError('Only course staff can read the gradebook.');
    const [assignments, enrollments, runs] = await Promise.all([
      this.deps.store.assignments.listByCourse(course.id),
      this.deps.store.enrollments.listByCourse(course.id),
      this.deps.store.runs.list({ courseId: course.id, kind: 'submission', limit: MAX_GRADEBOOK_RUNS }),
    ]);
    return buildGradebook(
      assignments,
      enrollments.filter((e) => e.role === 'student'),
      runs,
    );
  }
}
