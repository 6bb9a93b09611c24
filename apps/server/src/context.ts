import type {
  AssignmentService,
  AuthService,
  CoreDeps,
  CourseService,
  Dispatcher,
  GradebookService,
  LabBackend,
  LabReconciler,
  LabService,
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
  labs: LabService;
  /** The engine's LabProvisioner & LabAccess (terminal, VNC and HTTP proxy use its LabAccess side). */
  labProvisioner: LabBackend;
  labReconciler: LabReconciler;
  executor: RunExecutor;
  version: string;
  secureCookies: boolean;
  /** APERTURE_PUBLIC_URL, when set: the origin browsers use (the lab WebSocket Origin check). */
  publicUrl?: string | undefined;
}
