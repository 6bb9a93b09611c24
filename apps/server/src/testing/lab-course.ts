import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Actor, AuthService, type CoreDeps, CourseService, type Store } from '@aperture/core';
import { createStore } from '@aperture/storage';
import { InProcessEventBus } from '../infra/event-bus.ts';
import { ScryptSecretHasher } from '../infra/hasher.ts';
import { RandomIdGenerator } from '../infra/ids.ts';

/** A course NET1 on a fresh SQLite store, for the LabService tests: instructor `ada` and students. */
export interface LabCourse {
  store: Store;
  deps: CoreDeps;
  instructor: Actor;
  /** In the order their usernames were given. */
  students: Actor[];
  close(): Promise<void>;
}

export async function openLabCourse(options: {
  now: () => Date;
  students: readonly string[];
}): Promise<LabCourse> {
  const dir = mkdtempSync(join(tmpdir(), 'aperture-labs-'));
  const store = await createStore({ sqlitePath: join(dir, 'aperture.sqlite') });
  const deps: CoreDeps = {
    store,
    clock: { now: options.now },
    ids: new RandomIdGenerator(),
    hasher: new ScryptSecretHasher(),
    events: new InProcessEventBus(),
  };
  const auth = new AuthService(deps);
  const courses = new CourseService(deps, auth);
  const staff = await auth.createUser('system', { username: 'ada', role: 'staff' });
  const instructor: Actor = { userId: staff.id, role: staff.role };
  await courses.create(instructor, { code: 'NET1', title: 'Networks' });
  const students: Actor[] = [];
  for (const username of options.students) {
    const { userId } = await courses.enroll(instructor, 'NET1', { username, role: 'student' });
    students.push({ userId, role: 'user' });
  }
  return {
    store,
    deps,
    instructor,
    students,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
