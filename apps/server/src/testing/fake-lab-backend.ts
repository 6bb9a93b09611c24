/**
 * A lab backend that keeps every copy in memory and records each call: for tests of the HTTP
 * layer and of the flow's bookkeeping, where the engine is not the subject. Every copy is ready
 * as soon as it is deployed; `failing` students fail; HTTP checks get `200 OK`, exec checks exit 0
 * (or `execExitCode`).
 */
import { createHash } from 'node:crypto';
import { Duplex } from 'node:stream';
import type {
  ImageDigests,
  LabBackend,
  LabDeployReport,
  LabDeployRequest,
  LabExecResult,
  LabResetRequest,
  LabStatusReport,
  LabStopRequest,
  LabStudent,
  LabTeardownReceipt,
  LabTemplate,
  StudentDeployResult,
  StudentLabState,
} from '@aperture/core';

interface Copy {
  state: StudentLabState;
  versionId: string;
  template: LabTemplate;
}

export class FakeLabBackend implements LabBackend {
  readonly name = 'fake';
  readonly calls: string[] = [];
  readonly failing = new Set<string>();
  /** Deployments whose teardown leaves something behind (an unverified receipt). */
  readonly stuck = new Set<string>();
  execExitCode = 0;
  private gate: Promise<void> | undefined;
  private readonly copies = new Map<string, Map<string, Copy>>();

  copiesOf(deploymentId: string): Map<string, Copy> {
    const copies = this.copies.get(deploymentId) ?? new Map<string, Copy>();
    this.copies.set(deploymentId, copies);
    return copies;
  }

  /** Deploys, resets and teardowns wait until the returned function is called (to look at the states in between). */
  hold(): () => void {
    let release = () => {};
    this.gate = new Promise((done) => {
      release = () => {
        this.gate = undefined;
        done();
      };
    });
    return release;
  }

  async deploy(request: LabDeployRequest): Promise<LabDeployReport> {
    await this.gate;
    this.calls.push(`deploy ${request.deploymentId} ${request.students.map((s) => s.username).join(',')}`);
    const students = request.students.map((student) => this.deployOne(request, student));
    const succeeded = students.filter((s) => s.ok).length;
    return {
      deploymentId: request.deploymentId,
      versionId: request.labVersion.id,
      students,
      succeeded,
      failed: students.length - succeeded,
      durationMs: 1,
    };
  }

  private deployOne(request: LabDeployRequest, student: LabStudent): StudentDeployResult {
    request.onProgress?.({ student, phase: 'applying', attempt: 1 });
    const environment = `fake-${request.deploymentId}-${student.id}`;
    if (this.failing.has(student.username)) {
      request.onProgress?.({ student, phase: 'failed', attempt: 1, error: 'refused by the fake' });
      return { student, ok: false, environment, attempts: 1, error: 'refused by the fake' };
    }
    this.copiesOf(request.deploymentId).set(student.id, {
      state: 'ready',
      versionId: request.labVersion.id,
      template: request.labVersion.template,
    });
    request.onProgress?.({ student, phase: 'ready', attempt: 1 });
    return { student, ok: true, environment, attempts: 1, objects: 3 };
  }

  async status(deploymentId: string, students: readonly LabStudent[] = []): Promise<LabStatusReport> {
    const copies = this.copiesOf(deploymentId);
    const ids = [...new Set([...copies.keys(), ...students.map((s) => s.id)])];
    return {
      deploymentId,
      students: ids.map((id) => {
        const copy = copies.get(id);
        const ready = copy?.state === 'ready' ? 1 : 0;
        return {
          student: { id },
          state: copy?.state ?? 'missing',
          environment: `fake-${deploymentId}-${id}`,
          ...(copy ? { versionId: copy.versionId } : {}),
          components: (copy?.template.spec.components ?? []).map((c) => ({
            name: c.name,
            desired: 1,
            ready,
            available: ready,
          })),
        };
      }),
    };
  }

  async reset(request: LabResetRequest): Promise<StudentDeployResult> {
    await this.gate;
    this.calls.push(`reset ${request.deploymentId} ${request.student.username}`);
    return this.deployOne({ ...request, students: [request.student] }, request.student);
  }

  async teardown(deploymentId: string): Promise<LabTeardownReceipt> {
    await this.gate;
    this.calls.push(`teardown ${deploymentId}`);
    const copies = this.copiesOf(deploymentId);
    const deleted = [...copies.keys()].map((id) => ({ kind: 'Pod', name: `fake-${deploymentId}-${id}` }));
    if (this.stuck.has(deploymentId)) {
      const remaining = [{ kind: 'Namespace', name: `fake-${deploymentId}` }];
      return { deploymentId, deleted, verified: false, remaining, errors: [], durationMs: 1 };
    }
    this.copies.delete(deploymentId);
    return { deploymentId, deleted, verified: true, remaining: [], errors: [], durationMs: 1 };
  }

  async stop(request: LabStopRequest): Promise<void> {
    this.calls.push(`stop ${request.deploymentId} ${request.student.username}`);
    const copy = this.copiesOf(request.deploymentId).get(request.student.id);
    if (copy) copy.state = 'stopped';
  }

  async resolveImageDigests(images: readonly string[]): Promise<ImageDigests> {
    return Object.fromEntries(
      images.map((image) => [image, `sha256:${createHash('sha256').update(image).digest('hex')}`]),
    );
  }

  async exec(): Promise<LabExecResult> {
    return { exitCode: this.execExitCode, stdout: '', stderr: '', timedOut: false };
  }

  async openTerminal(): Promise<never> {
    throw new Error('the fake lab backend has no terminal');
  }

  /** Answers any request with `200 OK`, like nginx's default page. */
  async connect(): Promise<Duplex> {
    let answered = false;
    const stream: Duplex = new Duplex({
      read() {},
      write(_chunk, _encoding, done) {
        if (!answered) {
          answered = true;
          stream.push('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
          stream.push(null);
        }
        done();
      },
    });
    return stream;
  }
}
