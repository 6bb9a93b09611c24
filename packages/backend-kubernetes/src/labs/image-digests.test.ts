import { ValidationError } from '@aperture/core';
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { digestsFromPods } from './image-digests.ts';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

const pod = (image: string, imageID: string, phase = 'Running'): V1Pod => ({
  spec: { containers: [{ name: 'c', image }] },
  status: {
    phase,
    containerStatuses: [{ name: 'c', image, imageID, ready: true, restartCount: 0, state: { running: {} } }],
  },
});

describe('digestsFromPods', () => {
  it('reads the digest each image runs as, whether or not the pod pinned it', () => {
    const pods = [
      pod('localhost/aperture/lab-nginx', `localhost/aperture/lab-nginx@${D1}`),
      pod(`docker.io/library/postgres:16@${D2}`, `docker.io/library/postgres@${D2}`),
    ];
    expect(
      digestsFromPods(['aperture/lab-nginx', 'docker.io/library/postgres:16'], pods, 'localhost/'),
    ).toEqual({ 'aperture/lab-nginx': D1, 'docker.io/library/postgres:16': D2 });
  });

  it('an image pinned in the template is its own digest, without any pod', () => {
    expect(digestsFromPods([`aperture/lab-shell@${D2}`], [], 'localhost/')).toEqual({
      [`aperture/lab-shell@${D2}`]: D2,
    });
  });

  it('an image no running pod reports is a ValidationError naming it, with the way out', () => {
    const pods = [
      pod('localhost/aperture/lab-nginx', `localhost/aperture/lab-nginx@${D1}`, 'Pending'),
      pod('localhost/aperture/lab-shell', ''),
    ];
    let error: unknown;
    try {
      digestsFromPods(['aperture/lab-nginx', 'aperture/lab-shell'], pods, 'localhost/');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(
      /aperture\/lab-nginx, aperture\/lab-shell: deploy the dev environment first .*@sha256/,
    );
  });
});

describe('digestsFromPods and local images', () => {
  it('a bare image id (loaded without a registry) is not a pin: named as such', () => {
    const pods = [pod('localhost/aperture/lab-nginx', D1)];
    expect(() => digestsFromPods(['aperture/lab-nginx'], pods, 'localhost/')).toThrow(
      /aperture\/lab-nginx runs from an image the node has without a registry digest/,
    );
  });
});
