/**
 * Finding a lab's records by what a request names, and whether the actor may read or change them:
 * course staff read, instructors and admins change; others in the course are forbidden, outsiders
 * are told it does not exist.
 */
import type { CourseRole } from '../domain/entities.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.ts';
import type { Lab, LabVersion } from '../labs/lab-entities.ts';
import { type Actor, canEditCourse, canGradeCourse, isAdmin } from '../policy/authz.ts';
import type { Store } from '../ports.ts';

type Need = 'read' | 'change';

export class LabLookup {
  constructor(private readonly store: Store) {}

  /** A version by its id (`sha256:…`) or the first 12 or more hex digits of it. */
  async findVersion(labId: string, ref: string): Promise<LabVersion> {
    const exact = await this.store.labVersions.get(labId, ref);
    if (exact) return exact;
    const hex = ref.replace(/^sha256:/, '').toLowerCase();
    if (!/^[0-9a-f]{12,64}$/.test(hex))
      throw new ValidationError('version: a version id (sha256:…) or its first 12 hex digits.', {
        field: 'version',
      });
    const matches = (await this.store.labVersions.listByLab(labId)).filter((v) =>
      v.id.startsWith(`sha256:${hex}`),
    );
    if (matches.length > 1)
      throw new ValidationError(`version: ${ref} matches ${matches.length} versions; give more digits.`, {
        field: 'version',
      });
    if (!matches[0]) throw new NotFoundError('Lab version', ref);
    return matches[0];
  }

  async mustVersion(labId: string, id: string): Promise<LabVersion> {
    const version = await this.store.labVersions.get(labId, id);
    if (!version) throw new NotFoundError('Lab version', id);
    return version;
  }

  async course(actor: Actor, ref: string, need: Need) {
    const course = (await this.store.courses.get(ref)) ?? (await this.store.courses.getByCode(ref));
    if (!course) throw new NotFoundError('Course', ref);
    const role = await this.roleIn(actor, course.id);
    allow(actor, role, need, () => new NotFoundError('Course', ref));
    return { course, role };
  }

  async lab(actor: Actor, labId: string, need: Need): Promise<{ lab: Lab; role: CourseRole | undefined }> {
    const lab = await this.store.labs.get(labId);
    if (!lab) throw new NotFoundError('Lab', labId);
    const role = await this.roleIn(actor, lab.courseId);
    allow(actor, role, need, () => new NotFoundError('Lab', labId));
    return { lab, role };
  }

  async deploymentFor(actor: Actor, deploymentId: string, need: Need | 'own') {
    const deployment = await this.store.labDeployments.get(deploymentId);
    if (!deployment) throw new NotFoundError('Lab deployment', deploymentId);
    const lab = await this.store.labs.get(deployment.labId);
    if (!lab) throw new NotFoundError('Lab deployment', deploymentId);
    // The deployment's own course, as authorizeAccess reads it (one source for who may see it).
    const role = await this.roleIn(actor, deployment.courseId);
    const hidden = () => new NotFoundError('Lab deployment', deploymentId);
    if (need === 'own') {
      if (role === undefined && !isAdmin(actor)) throw hidden();
    } else allow(actor, role, need, hidden);
    return { deployment, lab, role };
  }

  async roleIn(actor: Actor, courseId: string): Promise<CourseRole | undefined> {
    return (await this.store.enrollments.get(courseId, actor.userId))?.role;
  }
}

/** Read: course staff and admins. Change: instructors and admins. Others in the course are forbidden; outsiders see nothing. */
function allow(actor: Actor, role: CourseRole | undefined, need: Need, hidden: () => Error): void {
  const ok = need === 'read' ? canGradeCourse(actor, role) : canEditCourse(actor, role);
  if (ok) return;
  if (role === undefined && !isAdmin(actor)) throw hidden();
  throw new ForbiddenError(
    need === 'read'
      ? 'Only course staff can see the course’s labs.'
      : 'Only the course instructors can change labs.',
  );
}
