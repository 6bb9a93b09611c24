/**
 * Which digest each image of a template runs as, for a checkpoint. Kubernetes resolves a tag only
 * when a kubelet pulls it, and Aperture has no registry credentials of its own: the one authority
 * is a pod that runs the image, whose container status carries the resolved `imageID`
 * (`localhost/aperture/lab-nginx@sha256:…`). The dev environment runs every image of the
 * template, so checkpointing after it is ready pins exactly the bytes the instructor tried.
 */
import { type ImageDigests, ValidationError } from '@aperture/core';
import type { V1Pod } from '@kubernetes/client-node';
import { imageReference } from './workloads.ts';

/** A repo digest (`name@sha256:…`): what the registry serves, so a pin to it can be pulled. */
const REPO_DIGEST = /^[^@]+@(sha256:[0-9a-f]{64})$/;
const PINNED = /@(sha256:[0-9a-f]{64})$/;

/** The image as pods name it before any pin: the registry prefix applied, the digest cut off. */
function unpinned(reference: string): string {
  const at = reference.indexOf('@');
  return at === -1 ? reference : reference.slice(0, at);
}

/**
 * Template image → digest, from running pods' container statuses. An image already pinned with
 * `@sha256:` resolves to its own digest; one no running pod reports is a ValidationError naming it.
 */
export function digestsFromPods(
  images: readonly string[],
  pods: readonly V1Pod[],
  imagePrefix: string,
): ImageDigests {
  const seen = new Map<string, string>();
  // A bare image id (`sha256:…` alone): the node has the image without a registry's digest (loaded
  // by hand); no pin can name it.
  const localOnly = new Set<string>();
  for (const pod of pods) {
    if (pod.status?.phase !== 'Running' || pod.metadata?.deletionTimestamp) continue;
    for (const status of pod.status?.containerStatuses ?? []) {
      const spec = pod.spec?.containers.find((container) => container.name === status.name)?.image;
      if (!spec || !status.state?.running) continue;
      const digest = REPO_DIGEST.exec(status.imageID ?? '')?.[1];
      if (digest) seen.set(unpinned(spec), digest);
      else if (status.imageID) localOnly.add(unpinned(spec));
    }
  }
  const digests: Record<string, string> = {};
  const unresolved: string[] = [];
  const local: string[] = [];
  for (const image of [...new Set(images)]) {
    const pinned = PINNED.exec(image)?.[1];
    const located = unpinned(imageReference(image, imagePrefix, {}));
    const found = pinned ?? seen.get(located);
    if (found) digests[image] = found;
    else {
      unresolved.push(image);
      if (localOnly.has(located)) local.push(image);
    }
  }
  if (unresolved.length > 0)
    throw new ValidationError(
      `no running lab pod reports a digest for ${unresolved.join(', ')}: deploy the dev environment first ` +
        '(its pods resolve the images) or pin the image in the template (image@sha256:…)' +
        (local.length > 0
          ? `; ${local.join(', ')} runs from an image the node has without a registry digest: push it to a registry`
          : ''),
      {
        errors: unresolved.map((image) => ({
          path: `images[${JSON.stringify(image)}]`,
          message: 'no running pod runs this image',
        })),
      },
    );
  return digests;
}
