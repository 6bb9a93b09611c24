import {
  labTemplateJsonSchema,
  parseLabTemplate,
  validateLabSchema,
  validateLabTemplate,
} from '@aperture/api-contract';
import { LAB_CATALOG } from '@aperture/core';
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.ts';
import { route } from '../http/route.ts';
import { parseBody } from '../http/validate.ts';

/** An engine that says nothing of VMs or snapshots offers neither. */
const NO_EXTRAS = { kubevirt: false, volumeSnapshots: false };

/**
 * Lab templates, as far as they need no provisioner: the JSON Schema (for editors), the built-in
 * types, and a check that names every bad field (the lab builder validates as one types).
 */
export function labRoutes(app: FastifyInstance, ctx: ServerContext): void {
  route(app, {
    method: 'GET',
    url: '/api/v1/labs/schema',
    summary: 'The LabTemplate JSON Schema (aperture.dev/v1alpha1).',
    tags: ['labs'],
    public: true,
    handler: async () => labTemplateJsonSchema(),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/labs/types',
    summary: 'The built-in lab types (`aperture lab template <type>`).',
    tags: ['labs'],
    handler: async () => LAB_CATALOG.map((entry) => ({ type: entry.type, description: entry.description })),
  });
  route(app, {
    method: 'GET',
    url: '/api/v1/labs/capabilities',
    summary:
      'What the lab engine offers: VM components (KubeVirt) and volume snapshots in checkpoints; both false on Podman.',
    tags: ['labs'],
    handler: async (request) => {
      const backend = ctx.labProvisioner;
      try {
        const offered = (await backend.capabilities?.()) ?? NO_EXTRAS;
        return { backend: backend.name, ...offered };
      } catch (error) {
        // Discovery failed: offer nothing that might not work, and say why in the log.
        request.log.warn(
          { error: error instanceof Error ? error.message : String(error) },
          'lab capabilities',
        );
        return { backend: backend.name, ...NO_EXTRAS };
      }
    },
  });
  route(app, {
    method: 'POST',
    url: '/api/v1/labs/validate',
    summary: 'Check a LabTemplate; answers the normalised template, or every problem with its field.',
    tags: ['labs'],
    body: validateLabSchema,
    handler: async (request) => {
      const body = parseBody(validateLabSchema, request.body);
      const result = 'text' in body ? parseLabTemplate(body.text) : validateLabTemplate(body.template);
      return result.ok ? { valid: true, template: result.template } : { valid: false, errors: result.errors };
    },
  });
}
