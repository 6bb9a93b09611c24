/**
 * The lab API (docs/labs.md, "The flow") for the CLI: one method per endpoint, on top of ApiClient.
 * The shapes are core's views, so the CLI reads exactly what the server sends.
 */
import type { CreateLabBody, LabTemplateBody } from '@aperture/api-contract';
import type {
  DeploymentView,
  LabDeployment,
  LabDetail,
  LabEnvironment,
  LabSummary,
  LabTemplateChange,
  LabVersion,
} from '@aperture/core';
import type { ApiClient } from './api-client.ts';

const seg = encodeURIComponent;

export interface LabDiff {
  from: string;
  to: string;
  changes: LabTemplateChange[];
}

export class LabClient {
  constructor(private readonly api: ApiClient) {}

  list = (course: string): Promise<LabSummary[]> =>
    this.api.request('GET', `/api/v1/courses/${seg(course)}/labs`);

  create = (course: string, body: CreateLabBody): Promise<LabDetail> =>
    this.api.request('POST', `/api/v1/courses/${seg(course)}/labs`, { body });

  get = (lab: string): Promise<LabDetail> => this.api.request('GET', `/api/v1/labs/${seg(lab)}`);

  applyTemplate = (lab: string, body: LabTemplateBody): Promise<LabDetail> =>
    this.api.request('PUT', `/api/v1/labs/${seg(lab)}/template`, { body });

  checkpoint = (lab: string): Promise<LabVersion> =>
    this.api.request('POST', `/api/v1/labs/${seg(lab)}/checkpoint`);

  versions = (lab: string): Promise<LabVersion[]> =>
    this.api.request('GET', `/api/v1/labs/${seg(lab)}/versions`);

  version = (lab: string, version: string): Promise<LabVersion> =>
    this.api.request('GET', `/api/v1/labs/${seg(lab)}/versions/${seg(version)}`);

  diff = (lab: string, version: string, against: string): Promise<LabDiff> =>
    this.api.request('GET', `/api/v1/labs/${seg(lab)}/versions/${seg(version)}/diff`, { query: { against } });

  publish = (lab: string, version: string): Promise<LabVersion> =>
    this.api.request('POST', `/api/v1/labs/${seg(lab)}/versions/${seg(version)}/publish`);

  deploy = (lab: string, version: string): Promise<DeploymentView> =>
    this.api.request('POST', `/api/v1/labs/${seg(lab)}/deployments`, { body: { version } });

  deployment = (id: string): Promise<DeploymentView> =>
    this.api.request('GET', `/api/v1/lab-deployments/${seg(id)}`);

  reset = (deployment: string, user: string): Promise<LabEnvironment> =>
    this.api.request('POST', `/api/v1/lab-deployments/${seg(deployment)}/students/${seg(user)}/reset`);

  destroy = (deployment: string): Promise<LabDeployment> =>
    this.api.request('DELETE', `/api/v1/lab-deployments/${seg(deployment)}`);

  /** 204 once the lab is gone (its dev copy torn down first, by the server). */
  deleteLab = (lab: string): Promise<void> => this.api.requestNoContent('DELETE', `/api/v1/labs/${seg(lab)}`);
}
