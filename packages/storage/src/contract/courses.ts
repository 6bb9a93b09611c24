import { ConflictError } from '@aperture/core';
import { expect, it } from 'vitest';
import type { TestDatabases } from '../test-support/databases.ts';
import { aCourse, anAssignment, at, aUser } from '../test-support/fixtures.ts';

export function courseContract(dbs: TestDatabases): void {
  it('inserts, reads and lists courses by code', async () => {
    const store = await dbs.openFresh();
    const b = aCourse({ code: 'CS-B' });
    const a = aCourse({ code: 'CS-A' });
    await store.courses.insert(b);
    await store.courses.insert(a);
    expect(await store.courses.get(a.id)).toEqual(a);
    expect(await store.courses.getByCode('CS-B')).toEqual(b);
    expect(await store.courses.get('missing')).toBeUndefined();
    expect(await store.courses.getByCode('missing')).toBeUndefined();
    expect(await store.courses.list()).toEqual([a, b]);
  });

  it('lists the courses of a user with the role in each', async () => {
    const store = await dbs.openFresh();
    const [user, other] = [aUser(), aUser()];
    const [x, y, z] = [aCourse({ code: 'X' }), aCourse({ code: 'Y' }), aCourse({ code: 'Z' })];
    for (const u of [user, other]) await store.users.insert(u);
    for (const c of [z, y, x]) await store.courses.insert(c);
    await store.enrollments.upsert({ courseId: z.id, userId: user.id, role: 'student', createdAt: at(1) });
    await store.enrollments.upsert({ courseId: x.id, userId: user.id, role: 'ta', createdAt: at(1) });
    await store.enrollments.upsert({
      courseId: y.id,
      userId: other.id,
      role: 'instructor',
      createdAt: at(1),
    });
    expect(await store.courses.listForUser(user.id)).toEqual([
      { ...x, role: 'ta' },
      { ...z, role: 'student' },
    ]);
  });

  it('rejects a duplicate course code as a ConflictError', async () => {
    const store = await dbs.openFresh();
    await store.courses.insert(aCourse({ code: 'CS101' }));
    const clash = store.courses.insert(aCourse({ code: 'CS101' }));
    await expect(clash).rejects.toBeInstanceOf(ConflictError);
    await expect(clash).rejects.toThrow(/course with that code/);
  });
}

export function enrollmentContract(dbs: TestDatabases): void {
  it('upserts, reads, lists with user names, and deletes enrollments', async () => {
    const store = await dbs.openFresh();
    const course = aCourse();
    const zed = aUser({ username: 'zed', displayName: 'Zed' });
    const amy = aUser({ username: 'amy', displayName: 'Amy' });
    await store.courses.insert(course);
    for (const u of [zed, amy]) await store.users.insert(u);
    const enrollment = { courseId: course.id, userId: zed.id, role: 'student' as const, createdAt: at(1) };
    await store.enrollments.upsert(enrollment);
    await store.enrollments.upsert({ courseId: course.id, userId: amy.id, role: 'ta', createdAt: at(2) });
    expect(await store.enrollments.get(course.id, zed.id)).toEqual(enrollment);
    expect(await store.enrollments.get(course.id, 'nobody')).toBeUndefined();
    const listed = await store.enrollments.listByCourse(course.id);
    expect(listed.map((e) => [e.username, e.displayName, e.role])).toEqual([
      ['amy', 'Amy', 'ta'],
      ['zed', 'Zed', 'student'],
    ]);
    expect(await store.enrollments.delete(course.id, zed.id)).toBe(true);
    expect(await store.enrollments.delete(course.id, zed.id)).toBe(false);
    expect(await store.enrollments.get(course.id, zed.id)).toBeUndefined();
  });

  it('changes only the role when the enrollment exists', async () => {
    const store = await dbs.openFresh();
    const [course, user] = [aCourse(), aUser()];
    await store.courses.insert(course);
    await store.users.insert(user);
    await store.enrollments.upsert({
      courseId: course.id,
      userId: user.id,
      role: 'student',
      createdAt: at(1),
    });
    await store.enrollments.upsert({
      courseId: course.id,
      userId: user.id,
      role: 'instructor',
      createdAt: at(9),
    });
    expect(await store.enrollments.get(course.id, user.id)).toEqual({
      courseId: course.id,
      userId: user.id,
      role: 'instructor',
      createdAt: at(1),
    });
    expect(await store.enrollments.listByCourse(course.id)).toHaveLength(1);
  });
}

export function assignmentContract(dbs: TestDatabases): void {
  it('round-trips every field, JSON ones included, and finds by slug', async () => {
    const store = await dbs.openFresh();
    const course = aCourse();
    await store.courses.insert(course);
    const plain = anAssignment(course.id, {
      slug: 'b',
      deadline: null,
      submissionLimit: null,
      createdAt: at(2),
    });
    const rich = anAssignment(course.id, {
      slug: 'a',
      createdAt: at(1),
      autograder: { files: [{ path: 'run_autograder', contentBase64: 'IyEvYmluL3NoCg==' }] },
    });
    await store.assignments.insert(plain);
    await store.assignments.insert(rich);
    expect(await store.assignments.get(rich.id)).toEqual(rich);
    expect(await store.assignments.get(plain.id)).toEqual(plain);
    expect(await store.assignments.getBySlug(course.id, 'b')).toEqual(plain);
    expect(await store.assignments.getBySlug(course.id, 'zzz')).toBeUndefined();
    expect(await store.assignments.get('missing')).toBeUndefined();
    expect(await store.assignments.listByCourse(course.id)).toEqual([rich, plain]);
    expect(await store.assignments.listByCourse('other')).toEqual([]);
  });

  it('updates everything but id, course and creation time', async () => {
    const store = await dbs.openFresh();
    const course = aCourse();
    await store.courses.insert(course);
    const original = anAssignment(course.id);
    await store.assignments.insert(original);
    const changed = {
      ...original,
      slug: 'renamed',
      title: 'New',
      languages: ['java'],
      tests: [],
      limits: {},
      deadline: null,
      submissionLimit: null,
      supportFiles: [],
      autograder: { files: [] },
      updatedAt: at(50),
    };
    await store.assignments.update({ ...changed, courseId: 'ignored', createdAt: at(99) });
    expect(await store.assignments.get(original.id)).toEqual(changed);
  });

  it('rejects a slug used twice in one course, but not across courses', async () => {
    const store = await dbs.openFresh();
    const [one, two] = [aCourse(), aCourse()];
    for (const c of [one, two]) await store.courses.insert(c);
    await store.assignments.insert(anAssignment(one.id, { slug: 'hw1' }));
    await store.assignments.insert(anAssignment(two.id, { slug: 'hw1' }));
    const clash = store.assignments.insert(anAssignment(one.id, { slug: 'hw1' }));
    await expect(clash).rejects.toBeInstanceOf(ConflictError);
    await expect(clash).rejects.toThrow(/slug/);
    const other = anAssignment(one.id, { slug: 'hw2' });
    await store.assignments.insert(other);
    await expect(store.assignments.update({ ...other, slug: 'hw1' })).rejects.toBeInstanceOf(ConflictError);
  });
}
