import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.ts';
import { catalogLabTemplate } from './catalog.ts';
import type { LabTemplate } from './lab-template.ts';
import { checkImageDigests, diffTemplates, imagesToPin, labVersionId } from './version.ts';

function webserver(): LabTemplate {
  const result = catalogLabTemplate('webserver', { cpu: '1', memory: '1Gi', storage: '2Gi' });
  if (!result.ok) throw new Error('catalog template invalid');
  return result.template;
}

const digest = (char: string) => `sha256:${char.repeat(64)}`;
const images = { 'aperture/lab-nginx': digest('a'), 'aperture/lab-shell': digest('b') };

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves out undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 1 }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"e":1,"f":2}]},"b":1}',
    );
  });

  it('refuses values JSON cannot hold', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/no JSON form/);
    expect(() => canonicalJson({ a: () => 1 })).toThrow(/function/);
  });
});

describe('labVersionId', () => {
  it('is the same for the same content, whatever the key order', () => {
    const a = webserver();
    const b = JSON.parse(JSON.stringify(a)) as LabTemplate;
    const reordered = { spec: b.spec, metadata: b.metadata, kind: b.kind, apiVersion: b.apiVersion };
    const id = labVersionId(a, images);
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(
      labVersionId(reordered, { 'aperture/lab-shell': digest('b'), 'aperture/lab-nginx': digest('a') }),
    ).toBe(id);
  });

  it('changes with any change to the template or to an image digest', () => {
    const base = webserver();
    const id = labVersionId(base, images);
    const changed = webserver();
    changed.spec.lifetime.idleStopAfter = '3h';
    expect(labVersionId(changed, images)).not.toBe(id);
    expect(labVersionId(base, { ...images, 'aperture/lab-nginx': digest('c') })).not.toBe(id);
  });
});

describe('image digests', () => {
  it('wants a digest for every image not pinned in the template, and nothing else', () => {
    const template = webserver();
    expect(imagesToPin(template)).toEqual(['aperture/lab-nginx', 'aperture/lab-shell']);
    expect(checkImageDigests(template, images)).toEqual([]);
    expect(checkImageDigests(template, { 'aperture/lab-nginx': 'latest', other: digest('d') })).toEqual([
      { path: 'images["aperture/lab-nginx"]', message: '"latest" is not a sha256:<64 hex> digest' },
      { path: 'images["aperture/lab-shell"]', message: 'no digest for this image' },
      { path: 'images["other"]', message: 'no component of the template runs this image' },
    ]);
  });

  it('needs no digest for an image the template already pins', () => {
    const template = webserver();
    template.spec.components[0]!.image = `aperture/lab-nginx@${digest('e')}`;
    expect(imagesToPin(template)).toEqual(['aperture/lab-shell']);
  });
});

describe('diffTemplates', () => {
  it('finds nothing between equal templates', () => {
    expect(diffTemplates(webserver(), webserver())).toEqual([]);
  });

  it('names changed fields, matching components, ports and env by name', () => {
    const a = webserver();
    const b = webserver();
    b.spec.components[0]!.image = 'aperture/lab-nginx:1.27';
    b.spec.components.splice(0, 0, { name: 'cache', kind: 'container', image: 'redis' });
    b.spec.components[2]!.env = [
      { name: 'HOME', value: '/home/student' },
      { name: 'EDITOR', value: 'vim' },
    ];
    b.spec.resources.cpu = '2';
    delete b.spec.components[2]!.terminal;
    expect(diffTemplates(a, b)).toEqual([
      {
        path: 'spec.components[name=web].image',
        change: 'changed',
        before: 'aperture/lab-nginx',
        after: 'aperture/lab-nginx:1.27',
      },
      {
        path: 'spec.components[name=shell].env[name=EDITOR]',
        change: 'added',
        after: { name: 'EDITOR', value: 'vim' },
      },
      { path: 'spec.components[name=shell].terminal', change: 'removed', before: true },
      {
        path: 'spec.components[name=cache]',
        change: 'added',
        after: { name: 'cache', kind: 'container', image: 'redis' },
      },
      { path: 'spec.resources.cpu', change: 'changed', before: '1', after: '2' },
    ]);
  });

  it('matches unnamed lists (checks) by position and reports a reordering of named ones', () => {
    const a = webserver();
    const b = webserver();
    b.spec.checks.pop();
    b.spec.components.reverse();
    const changes = diffTemplates(a, b);
    expect(changes).toContainEqual({ path: 'spec.checks[1]', change: 'removed', before: a.spec.checks[1] });
    expect(changes).toContainEqual({
      path: 'spec.components',
      change: 'reordered',
      before: ['web', 'shell'],
      after: ['shell', 'web'],
    });
  });
});
