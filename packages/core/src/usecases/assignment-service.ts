import type { Assignment, SubmissionLimit } from '../domain/entities.ts';
import { type SourceFile, validateFiles } from '../domain/files.ts';
import { findLanguage } from '../domain/languages.ts';
import type { Limits } from '../domain/limits.ts';
import type { TestCase } from '../domain/tests.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import { type Actor, canEditCourse, canGradeCourse } from '../policy/authz.ts';
import type { CourseService } from './course-service.ts';
import { type CoreDeps, isoNow } from './deps.ts';

export interface AssignmentInput {
  slug: string;
  title: string;
  statement: string;
  languages: string[];
  tests: TestCase[];
  limits: Partial<Limits>;
  deadline: string | null;
  submissionLimit: SubmissionLimit | null;
  supportFiles: SourceFile[];
  autograder: { files: SourceFile[] } | null;
}

/** An assignment as a student sees it: no hidden test data, no support or autograder files. */
export type StudentAssignment = Omit<Assignment, 'tests' | 'supportFiles' | 'autograder'> & {
  tests: Array<
    Pick<TestCase, 'name' | 'points' | 'visibility'> & Partial<Pick<TestCase, 'stdin' | 'expectedOutput'>>
  >;
  maxScore: number;
  usesAutograder: boolean;
};

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class AssignmentService {
  constructor(
    private readonly deps: CoreDeps,
    private readonly courses: CourseService,
  ) {}

  async create(actor: Actor, courseIdOrCode: string, input: AssignmentInput): Promise<Assignment> {
    const { course, role } = await this.courses.get(actor, courseIdOrCode);
    if (!canEditCourse(actor, role))
      throw new ForbiddenError('Only the course instructors can create assignments.');
    validateAssignment(input);
    const now = isoNow(this.deps.clock);
    const assignment: Assignment = {
      id: this.deps.ids.next('asg'),
      courseId: course.id,
      ...input,
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.store.assignments.insert(assignment);
    return assignment;
  }

  async update(actor: Actor, id: string, input: AssignmentInput): Promise<Assignment> {
    const existing = await this.getForStaff(actor, id, 'edit');
    validateAssignment(input);
    const updated: Assignment = { ...existing, ...input, updatedAt: isoNow(this.deps.clock) };
    await this.deps.store.assignments.update(updated);
    return updated;
  }

  /** Full assignment for staff, the student view otherwise. */
  async get(actor: Actor, id: string): Promise<{ assignment: Assignment; isStaff: boolean }> {
    const assignment = await this.deps.store.assignments.get(id);
    if (!assignment) throw new NotFoundError('Assignment', id);
    const { role } = await this.courses.get(actor, assignment.courseId).catch(() => {
      throw new NotFoundError('Assignment', id);
    });
    return { assignment, isStaff: canGradeCourse(actor, role) };
  }

  async list(actor: Actor, courseIdOrCode: string): Promise<{ assignments: Assignment[]; isStaff: boolean }> {
    const { course, role } = await this.courses.get(actor, courseIdOrCode);
    return {
      assignments: await this.deps.store.assignments.listByCourse(course.id),
      isStaff: canGradeCourse(actor, role),
    };
  }

  /** Resolve `course/slug` or an id. */
  async resolve(actor: Actor, ref: string): Promise<{ assignment: Assignment; isStaff: boolean }> {
    const slash = ref.indexOf('/');
    if (slash < 0) return this.get(actor, ref);
    const { course } = await this.courses.get(actor, ref.slice(0, slash));
    const assignment = await this.deps.store.assignments.getBySlug(course.id, ref.slice(slash + 1));
    if (!assignment) throw new NotFoundError('Assignment', ref);
    return this.get(actor, assignment.id);
  }

  private async getForStaff(actor: Actor, id: string, need: 'edit' | 'grade'): Promise<Assignment> {
    const { assignment } = await this.get(actor, id);
    const role = await this.courses.roleOf(actor, assignment.courseId);
    const allowed = need === 'edit' ? canEditCourse(actor, role) : canGradeCourse(actor, role);
    if (!allowed) throw new ForbiddenError('Only the course instructors can change an assignment.');
    return assignment;
  }
}

export function toStudentAssignment(assignment: Assignment, now: Date): StudentAssignment {
  const { supportFiles: _s, autograder, tests, ...rest } = assignment;
  const deadlinePassed = assignment.deadline !== null && now >= new Date(assignment.deadline);
  return {
    ...rest,
    tests: tests
      .filter((t) => t.visibility === 'visible' || (t.visibility === 'after_due_date' && deadlinePassed))
      .map((t) => ({
        name: t.name,
        points: t.points,
        visibility: t.visibility,
        stdin: t.stdin,
        expectedOutput: t.expectedOutput,
      })),
    maxScore: tests.reduce((sum, t) => sum + t.points, 0),
    usesAutograder: autograder !== null,
  };
}

export function validateAssignment(input: AssignmentInput): void {
  const fail = (field: string, message: string): never => {
    throw new ValidationError(message, { field });
  };
  if (!SLUG.test(input.slug))
    fail('slug', 'A slug is lowercase letters, digits and dashes (e.g. "hello-world").');
  if (input.title.trim() === '') fail('title', 'An assignment needs a title.');
  if (input.languages.length === 0) fail('languages', 'Allow at least one language.');
  for (const id of input.languages) {
    if (!findLanguage(id)) fail('languages', `Unknown language "${id}". See GET /api/v1/languages.`);
  }
  if (input.tests.length === 0 && !input.autograder)
    fail('tests', 'Add at least one test, or an autograder.');
  const names = new Set<string>();
  input.tests.forEach((test, i) => {
    if (names.has(test.name)) fail(`tests[${i}].name`, `Two tests are named "${test.name}".`);
    names.add(test.name);
    if (test.comparator.kind === 'regex') {
      try {
        new RegExp(test.comparator.pattern, test.comparator.flags);
      } catch (error) {
        fail(`tests[${i}].comparator.pattern`, `Test "${test.name}": ${(error as Error).message}`);
      }
    }
  });
  if (input.deadline !== null && Number.isNaN(Date.parse(input.deadline)))
    fail('deadline', 'The deadline is not a date.');
  if (input.supportFiles.length > 0) validateFiles(input.supportFiles, 16 * 1024 * 1024);
  if (input.autograder) {
    const files = validateFiles(input.autograder.files, 16 * 1024 * 1024);
    if (!files.some((f) => f.path === 'run_autograder')) {
      fail('autograder', 'A Gradescope autograder needs a run_autograder file at its top level.');
    }
  }
}
