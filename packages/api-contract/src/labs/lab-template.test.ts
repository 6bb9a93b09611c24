import { catalogLabTemplate, type LabTemplateResult } from '@aperture/core';
import { describe, expect, it } from 'vitest';
import { parseLabTemplate, validateLabTemplate } from './lab-template.ts';

/** The example of DESIGN.md "Labs". */
const DESIGN_EXAMPLE = `
apiVersion: aperture.dev/v1alpha1
kind: LabTemplate
metadata: { name: webserver }
spec:
  resources: { cpu: "1", memory: 1Gi, storage: 2Gi }   # the per-student budget
  components:
    - name: web
      image: aperture/lab-nginx
      ports: [{ name: http, port: 8080 }]
    - name: shell
      image: aperture/lab-shell
      terminal: true            # browser terminal (exec)
    - name: desktop
      image: aperture/lab-desktop
      vnc: { port: 5901 }       # browser desktop (noVNC)
  checks:                       # "lab CI": must pass before a version can be published
    - { component: web, http: { port: 8080, path: /, status: 200 } }
  lifetime: { idleStopAfter: 2h, expireAfter: 30d }
`;

function errorsOf(result: LabTemplateResult) {
  if (result.ok) throw new Error('expected errors, the template was accepted');
  return result.errors;
}

function withSpec(spec: string): string {
  return `apiVersion: aperture.dev/v1alpha1\nkind: LabTemplate\nmetadata: { name: lab }\nspec:\n${spec}`;
}

describe('parseLabTemplate', () => {
  it('reads the DESIGN.md example and fills in the defaults', () => {
    const result = parseLabTemplate(DESIGN_EXAMPLE);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const { spec } = result.template;
    expect(spec.resources).toEqual({ cpu: '1', memory: '1Gi', storage: '2Gi' });
    expect(spec.components.map((component) => component.kind)).toEqual([
      'container',
      'container',
      'container',
    ]);
    expect(spec.components[0]?.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(spec.components[2]?.vnc).toEqual({ port: 5901 });
    expect(spec.lifetime).toEqual({ idleStopAfter: '2h', expireAfter: '30d' });
  });

  it('reads JSON too, and YAML numbers as quantities', () => {
    const json = JSON.stringify({
      apiVersion: 'aperture.dev/v1alpha1',
      kind: 'LabTemplate',
      metadata: { name: 'shell' },
      spec: {
        resources: { cpu: 1, memory: '512Mi', storage: 0 },
        components: [{ name: 'shell', image: 'aperture/lab-shell' }],
      },
    });
    const result = parseLabTemplate(json);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.template.spec.resources).toEqual({ cpu: '1', memory: '512Mi', storage: '0' });
    expect(result.template.spec.checks).toEqual([]);
    expect(result.template.spec.lifetime).toEqual({ idleStopAfter: '2h', expireAfter: '30d' });
  });

  it('fills in the HTTP check defaults (path /, status 200)', () => {
    const result = parseLabTemplate(
      DESIGN_EXAMPLE.replace('http: { port: 8080, path: /, status: 200 }', 'http: { port: 8080 }'),
    );
    expect(result.ok && result.template.spec.checks).toEqual([
      { component: 'web', http: { port: 8080, path: '/', status: 200 } },
    ]);
    // No `tcp: undefined` and the like: absent keys stay absent, so version ids do not depend on zod.
    expect(result.ok && Object.keys(result.template.spec.checks[0]!)).toEqual(['component', 'http']);
  });

  it('accepts what the catalog builds', () => {
    const built = catalogLabTemplate('database', { cpu: '2', memory: '2Gi', storage: '5Gi' });
    if (!built.ok) throw new Error('catalog');
    expect(validateLabTemplate(JSON.parse(JSON.stringify(built.template)))).toEqual(built);
  });

  it('names the field of a wrong port, with the path into the list', () => {
    const errors = errorsOf(
      parseLabTemplate(
        withSpec(`  resources: { cpu: 1, memory: 1Gi, storage: 1Gi }
  components:
    - { name: web, image: aperture/lab-nginx }
    - name: api
      image: aperture/lab-api
      ports: [{ name: http, port: 70000 }, { name: grpc, port: "9090" }]`),
      ),
    );
    expect(errors).toEqual([
      { path: 'spec.components[1].ports[0].port', message: 'at most 65535' },
      { path: 'spec.components[1].ports[1].port', message: 'expected a number, got the string "9090"' },
    ]);
  });

  it('makes every unknown field an error', () => {
    const errors = errorsOf(
      parseLabTemplate(
        withSpec(`  resources: { cpu: 1, memory: 1Gi, storage: 1Gi, gpu: 1 }
  components:
    - { name: web, image: aperture/lab-nginx, prots: [] }
  replicas: 3`),
      ),
    );
    expect(errors).toEqual([
      { path: 'spec.resources.gpu', message: 'unknown field' },
      { path: 'spec.components[0].prots', message: 'unknown field' },
      { path: 'spec.replicas', message: 'unknown field' },
    ]);
  });

  it('says which fields are missing', () => {
    const errors = errorsOf(parseLabTemplate(withSpec('  components: [{ name: web }]')));
    expect(errors).toEqual([
      { path: 'spec.resources', message: 'required' },
      { path: 'spec.components[0].image', message: 'required' },
    ]);
  });

  it('explains formats: names, quantities, durations, paths, images', () => {
    const errors = errorsOf(
      parseLabTemplate(
        withSpec(`  resources: { cpu: one, memory: 1GB, storage: 1Gi }
  components:
    - name: Web
      image: "Aperture/Lab"
      volumes: [{ name: data, mountPath: relative/path, size: 1Gi }]
  lifetime: { idleStopAfter: 2 hours }`),
      ),
    );
    expect(errors.map((error) => error.path)).toEqual([
      'spec.resources.cpu',
      'spec.resources.memory',
      'spec.components[0].name',
      'spec.components[0].image',
      'spec.components[0].volumes[0].mountPath',
      'spec.lifetime.idleStopAfter',
    ]);
    expect(errors[0]?.message).toBe('not a Kubernetes quantity (examples: 500m, 1, 2.5)');
    expect(errors[5]?.message).toBe('not a duration (examples: 45m, 2h, 30d, 1h30m)');
  });

  it('says a check needs exactly one of http, tcp or exec, and finds the error inside the one given', () => {
    const errors = errorsOf(
      parseLabTemplate(
        withSpec(`  resources: { cpu: 1, memory: 1Gi, storage: 1Gi }
  components: [{ name: web, image: aperture/lab-nginx, ports: [{ name: http, port: 80 }] }]
  checks:
    - { component: web }
    - { component: web, http: { port: 80, path: index.html } }
    - { component: web, tcp: { port: 80 }, exec: { command: [true] } }`),
      ),
    );
    expect(errors).toEqual([
      { path: 'spec.checks[0]', message: 'a check has a component and exactly one of http, tcp or exec' },
      { path: 'spec.checks[1].http.path', message: 'an HTTP path starts with "/"' },
      { path: 'spec.checks[2].exec', message: 'a check has exactly one of http, tcp or exec' },
    ]);
  });

  it('runs the cross-field checks of core after the shape is right', () => {
    const errors = errorsOf(parseLabTemplate(DESIGN_EXAMPLE.replace('cpu: "1"', 'cpu: 10m')));
    expect(errors.map((error) => error.path)).toEqual(['spec.resources.cpu']);
    expect(errors[0]?.message).toContain('web, shell, desktop would get 3m CPU each');
  });

  it('refuses another apiVersion or kind with that one message', () => {
    const errors = errorsOf(
      parseLabTemplate(
        DESIGN_EXAMPLE.replace('aperture.dev/v1alpha1', 'aperture.dev/v2').replace('spec:', 'spek:'),
      ),
    );
    expect(errors).toEqual([
      {
        path: 'apiVersion',
        message:
          'must be "aperture.dev/v1alpha1" (got "aperture.dev/v2"); this Aperture reads that version only',
      },
    ]);
    expect(errorsOf(parseLabTemplate('apiVersion: aperture.dev/v1alpha1\nkind: Deployment\n'))).toEqual([
      { path: 'kind', message: 'must be "LabTemplate" (got "Deployment")' },
    ]);
  });

  it('refuses a document that is no mapping, empty, or several documents', () => {
    expect(errorsOf(parseLabTemplate('- a\n- b\n'))[0]?.message).toContain('a lab template is a mapping');
    expect(errorsOf(parseLabTemplate(''))).toEqual([{ path: '', message: 'the document is empty' }]);
    expect(errorsOf(parseLabTemplate(`${DESIGN_EXAMPLE}\n---\n${DESIGN_EXAMPLE}`))[0]?.message).toMatch(
      /^line \d+, column 1: Source contains multiple documents/,
    );
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    const [duplicate] = errorsOf(parseLabTemplate('apiVersion: aperture.dev/v1alpha1\napiVersion: x\n'));
    expect(duplicate).toEqual({ path: '', message: 'line 2, column 1: Map keys must be unique' });
    expect(errorsOf(parseLabTemplate('spec: {components: [\n'))[0]?.message).toMatch(
      /^line \d+, column \d+: /,
    );
  });

  it('refuses custom YAML tags instead of guessing', () => {
    expect(
      errorsOf(parseLabTemplate(DESIGN_EXAMPLE.replace('image: aperture/lab-shell', 'image: !env IMAGE')))[0]
        ?.message,
    ).toMatch(/Unresolved tag: !env/);
  });

  it('is not a way to set prototypes', () => {
    const errors = errorsOf(
      parseLabTemplate(
        DESIGN_EXAMPLE.replace(
          'metadata: { name: webserver }',
          'metadata: { name: webserver, __proto__: { polluted: 1 } }',
        ),
      ),
    );
    expect(errors).toEqual([{ path: 'metadata.__proto__', message: 'unknown field' }]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('hostile documents', () => {
  it('refuses a document over the size cap before parsing it', () => {
    const huge = `${DESIGN_EXAMPLE}\n# ${'x'.repeat(300 * 1024)}\n`;
    expect(errorsOf(parseLabTemplate(huge))).toEqual([
      {
        path: '',
        message: `the document is ${new TextEncoder().encode(huge).length} bytes; a lab template may have at most 262144`,
      },
    ]);
  });

  it('refuses a billion-laughs document (aliases expanding exponentially)', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const started = performance.now();
    const errors = errorsOf(parseLabTemplate(levels.join('\n')));
    expect(errors).toEqual([
      { path: '', message: 'the document uses YAML aliases more than 50 times; write the values out' },
    ]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('still allows a few aliases', () => {
    const text = DESIGN_EXAMPLE.replace(
      'image: aperture/lab-shell',
      'image: &shell aperture/lab-shell',
    ).replace('image: aperture/lab-desktop', 'image: *shell');
    expect(parseLabTemplate(text).ok).toBe(true);
  });

  it('refuses deeply nested input without crashing', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(parseLabTemplate(deep).ok).toBe(false);
  });

  it('caps the number of components', () => {
    const components = Array.from(
      { length: 21 },
      (_, i) => `    - { name: c${i}, image: aperture/lab-shell }`,
    ).join('\n');
    const errors = errorsOf(
      parseLabTemplate(
        withSpec(`  resources: { cpu: 8, memory: 8Gi, storage: 0 }\n  components:\n${components}`),
      ),
    );
    expect(errors).toEqual([{ path: 'spec.components', message: 'a lab has at most 20 components' }]);
  });
});
