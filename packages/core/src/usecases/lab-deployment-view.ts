/** The deployment view and the lab summary LabService answers with. */
import type { Lab, LabDeployment } from '../labs/lab-entities.ts';
import type { Store } from '../ports.ts';
import { countStates, type DeploymentView, type LabStudentView, type LabSummary } from './lab-views.ts';
import type { LabBackend, LabWorker } from './lab-worker.ts';

/** A deployment as the API shows it: the store's copies joined with what the engine says now. */
export async function deploymentView(
  store: Store,
  backend: LabBackend,
  worker: LabWorker,
  deployment: LabDeployment,
  lab: Lab,
): Promise<DeploymentView> {
  const environments = await store.labEnvironments.listByDeployment(deployment.id);
  const students = environments.map((environment) => ({
    id: environment.userId,
    username: environment.username,
  }));
  let live = new Map<
    string,
    { state: LabStudentView['live']; message: string | null; components: LabStudentView['components'] }
  >();
  let statusError: string | null = null;
  if (deployment.state !== 'destroyed' && students.length > 0) {
    try {
      const report = await backend.status(deployment.id, students);
      live = new Map(
        report.students.map((s) => [
          s.student.id,
          { state: s.state, message: s.message ?? null, components: s.components },
        ]),
      );
    } catch (error) {
      statusError = (error as Error).message;
    }
  }
  return {
    deployment,
    labName: lab.name,
    courseId: deployment.courseId,
    template: (await worker.versionOf(deployment)).template,
    students: environments.map((environment) => {
      const now = live.get(environment.userId);
      return {
        userId: environment.userId,
        username: environment.username,
        state: environment.state,
        environment: environment.environment,
        error: environment.error,
        attempts: environment.attempts,
        lastAccessAt: environment.lastAccessAt,
        live: now?.state ?? null,
        message: now?.message ?? null,
        components: now?.components ?? [],
      };
    }),
    counts: countStates(environments),
    statusError,
  };
}

/** A lab in the course's list: how many versions, published ones and live deployments. */
export async function labSummary(store: Store, lab: Lab): Promise<LabSummary> {
  const versions = await store.labVersions.listByLab(lab.id);
  const deployments = await store.labDeployments.listByLab(lab.id);
  return {
    id: lab.id,
    name: lab.name,
    description: lab.devTemplate.metadata.description ?? null,
    updatedAt: lab.updatedAt,
    versions: versions.length,
    published: versions.filter((v) => v.state === 'published').length,
    deployments: deployments.filter((d) => d.state !== 'destroyed' && d.kind !== 'check').length,
  };
}
