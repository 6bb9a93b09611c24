import type {
  AssignmentService,
  AuthService,
  CoreDeps,
  CourseService,
  Dispatcher,
  GradebookService,
  RunExecutor,
  RunService,
} from '@aperture/core';

/** Everything a route may use, built once in server.ts. */
export interface ServerContext {
  deps: CoreDeps;
  auth: AuthService;
  courses: CourseService;
  assignments: AssignmentService;
  runs: RunService;
  gradebook: GradebookService;
  dispatcher: Dispatcher;
  executor: RunExecutor;
  version: string;
  secureCookies: boolean;
}
