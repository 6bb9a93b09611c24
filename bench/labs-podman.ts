/**
 * The Podman lab provisioner against the bare engine, in one run: the catalog's `webserver` lab
 * (nginx + a shell with a home volume) to STUDENTS students, wall time until every copy is ready
 * and to tear the deployment down, and a converged re-deploy. The baseline makes the same objects
 * with plain Podman calls at the same concurrency — per student `network create --internal`,
 * `volume create`, and the same `podman run` of each component (the provisioner's own
 * translation, so both start identical containers) — then `rm`, `volume rm`, `network rm` in one
 * call each. Rounds alternate bare/Aperture so a load change on this noisy machine hits both.
 *
 *   node --import tsx bench/labs-podman.ts [--students 20] [--rounds 2] [--concurrency 4]
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { type LabRenderOptions, renderStudentLab } from '@aperture/backend-kubernetes';
import { containerRun, PodmanLabProvisioner, podmanRenderOptions } from '@aperture/backend-podman';
import { catalogLabTemplate, type LabStudent, type LabVersionRef, labVersionId } from '@aperture/core';
import type { V1Deployment } from '@kubernetes/client-node';
import { median, saturate, timed } from './measure.ts';

const run = promisify(execFile);
const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const STUDENTS = arg('students', 20);
const ROUNDS = arg('rounds', 2);
const CONCURRENCY = arg('concurrency', 4);
const instance = `bench-${randomBytes(3).toString('hex')}`;
const LABEL = `dev.aperture.instance=${instance}`;

const podman = async (...args: string[]) => (await run('podman', args, { maxBuffer: 64 << 20 })).stdout;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const catalog = catalogLabTemplate('webserver', { cpu: '1', memory: '1Gi', storage: '1Gi' });
if (!catalog.ok) throw new Error(JSON.stringify(catalog.errors));
const template = catalog.template;

async function aperture(round: number) {
  const labs = PodmanLabProvisioner.fromOptions({ instance, concurrency: CONCURRENCY });
  const images = await labs.resolveImageDigests(template.spec.components.map((c) => c.image));
  const labVersion: LabVersionRef = { id: labVersionId(template, images), template, images };
  const deploymentId = `bench-${round}`;
  const students: LabStudent[] = Array.from({ length: STUDENTS }, (_, i) => ({
    id: `s${i}`,
    username: `s${i}`,
  }));
  const deploy = await timed(async () => {
    const report = await labs.deploy({ deploymentId, labVersion, students });
    if (report.failed > 0) throw new Error(JSON.stringify(report.students.filter((s) => !s.ok)));
    for (;;) {
      const status = await labs.status(deploymentId, students);
      if (status.students.every((s) => s.state === 'ready')) return;
      await sleep(100);
    }
  });
  const redeploy = await timed(() => labs.deploy({ deploymentId, labVersion, students }));
  const teardown = await timed(() => labs.teardown(deploymentId));
  if (!teardown.value.verified)
    throw new Error(`teardown not verified: ${JSON.stringify(teardown.value.remaining)}`);
  await labs.close();
  return {
    ready: deploy.ms,
    redeploy: redeploy.ms,
    teardown: teardown.ms,
    objects: teardown.value.deleted.length,
  };
}

async function bare(round: number) {
  const render: LabRenderOptions = podmanRenderOptions({
    instance,
    prefix: 'bare',
    imagePrefix: 'localhost/',
    imagePullPolicy: 'Never',
  });
  const images = Object.fromEntries(
    await Promise.all(
      template.spec.components.map(async (c) => [
        c.image,
        (await podman('image', 'inspect', '--format', '{{.Digest}}', `localhost/${c.image}`)).trim(),
      ]),
    ),
  );
  const plans = Array.from({ length: STUDENTS }, (_, i) => {
    const network = `bare${round}-${instance}-s${i}`;
    const lab = renderStudentLab(
      { deploymentId: `bare-${round}`, studentId: `s${i}`, template, images },
      render,
    );
    const claims = lab.objects
      .filter((o) => o.kind === 'PersistentVolumeClaim')
      .map((o) => o.metadata!.name!);
    const volumes = new Map(claims.map((claim) => [claim, `${network}-${claim}`]));
    const deployments = lab.objects.filter((o) => o.kind === 'Deployment') as V1Deployment[];
    const runs = deployments.map((deployment) =>
      containerRun(deployment, {
        name: `${network}-${deployment.metadata!.name}`,
        network,
        labels: { 'dev.aperture.instance': instance },
        versionId: 'bare',
        components: deployments.map((d) => d.metadata!.name!),
        volumes,
      }),
    );
    return { network, volumes: [...volumes.values()], runs };
  });
  const ready = await timed(async () => {
    await saturate(plans.length, CONCURRENCY, async (i) => {
      const plan = plans[i]!;
      await podman('network', 'create', '--internal', '--label', LABEL, plan.network);
      for (const volume of plan.volumes) await podman('volume', 'create', '--label', LABEL, volume);
      for (const container of plan.runs) await podman(...container.args);
    });
    const want = plans.reduce((n, plan) => n + plan.runs.length, 0);
    for (;;) {
      const running = (await podman('ps', '--filter', `label=${LABEL}`, '--filter', 'status=running', '-q'))
        .split('\n')
        .filter(Boolean).length;
      if (running >= want) return;
      await sleep(100);
    }
  });
  const teardown = await timed(async () => {
    const ids = (await podman('ps', '-aq', '--filter', `label=${LABEL}`)).split('\n').filter(Boolean);
    await podman('rm', '--force', '--time', '0', ...ids);
    await podman('volume', 'rm', '--force', ...plans.flatMap((plan) => plan.volumes));
    await podman('network', 'rm', '--force', ...plans.map((plan) => plan.network));
  });
  return { ready: ready.ms, teardown: teardown.ms };
}

const results = {
  aperture: [] as Awaited<ReturnType<typeof aperture>>[],
  bare: [] as Awaited<ReturnType<typeof bare>>[],
};
for (let round = 0; round < ROUNDS; round++) {
  if (round % 2 === 0) {
    results.bare.push(await bare(round));
    results.aperture.push(await aperture(round));
  } else {
    results.aperture.push(await aperture(round));
    results.bare.push(await bare(round));
  }
  console.error(
    `round ${round + 1}: aperture ${JSON.stringify(results.aperture.at(-1))} bare ${JSON.stringify(results.bare.at(-1))}`,
  );
}
const m = (values: number[]) => Math.round(median(values));
const summary = {
  students: STUDENTS,
  components: template.spec.components.length,
  concurrency: CONCURRENCY,
  rounds: ROUNDS,
  apertureReadyMs: m(results.aperture.map((r) => r.ready)),
  bareReadyMs: m(results.bare.map((r) => r.ready)),
  apertureRedeployMs: m(results.aperture.map((r) => r.redeploy)),
  apertureTeardownMs: m(results.aperture.map((r) => r.teardown)),
  bareTeardownMs: m(results.bare.map((r) => r.teardown)),
  objectsDeleted: results.aperture[0]?.objects,
};
console.log(
  JSON.stringify(
    {
      ...summary,
      readyRatio: +(summary.apertureReadyMs / summary.bareReadyMs).toFixed(2),
      teardownRatio: +(summary.apertureTeardownMs / summary.bareTeardownMs).toFixed(2),
    },
    null,
    2,
  ),
);
