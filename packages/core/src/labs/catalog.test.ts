import { describe, expect, it } from 'vitest';
import { allocateLabResources } from './allocation.ts';
import { catalogLabTemplate, LAB_CATALOG_TYPES } from './catalog.ts';

const budget = { cpu: '1', memory: '1Gi', storage: '2Gi' };

describe('catalogLabTemplate', () => {
  it.each(['shell', 'webserver', 'database', 'desktop'])(
    'builds a valid %s template from a budget',
    (type) => {
      const result = catalogLabTemplate(type, budget);
      expect(result.ok ? [] : result.errors).toEqual([]);
      if (!result.ok) return;
      expect(result.template.metadata.name).toBe(type);
      expect(result.template.spec.resources).toEqual(budget);
      expect(result.template.spec.checks.length).toBeGreaterThan(0);
    },
  );

  it('lists the types', () => {
    expect(LAB_CATALOG_TYPES).toEqual(['shell', 'webserver', 'database', 'desktop']);
  });

  it('webserver: nginx on 8080 checked over HTTP, and a shell with a terminal and the storage as its home', () => {
    const result = catalogLabTemplate('webserver', { ...budget, name: 'web-101' });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const [web, shell] = result.template.spec.components;
    expect(result.template.metadata.name).toBe('web-101');
    expect(web).toMatchObject({
      name: 'web',
      image: 'aperture/lab-nginx',
      ports: [{ name: 'http', port: 8080 }],
    });
    expect(shell).toMatchObject({ name: 'shell', terminal: true, volumes: [{ name: 'home', size: '2Gi' }] });
    expect(result.template.spec.checks).toContainEqual({
      component: 'web',
      http: { port: 8080, path: '/', status: 200 },
    });
    const allocation = allocateLabResources(result.template.spec);
    expect(allocation.ok && allocation.shares.map((share) => share.cpuMillicores)).toEqual([500, 500]);
  });

  it('database: postgres on 5432 with the storage for its data, and a shell pointed at it', () => {
    const result = catalogLabTemplate('database', budget);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const [db, shell] = result.template.spec.components;
    expect(db).toMatchObject({
      image: 'aperture/lab-postgres',
      ports: [{ port: 5432 }],
      volumes: [{ mountPath: '/var/lib/postgresql/data', size: '2Gi' }],
      writablePaths: ['/run/postgresql'],
    });
    expect(shell?.env).toContainEqual({ name: 'PGHOST', value: 'db' });
    expect(shell?.volumes).toBeUndefined();
  });

  it('desktop: VNC on 5901 and a terminal', () => {
    const result = catalogLabTemplate('desktop', budget);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.template.spec.components).toMatchObject([
      { name: 'desktop', image: 'aperture/lab-desktop', vnc: { port: 5901 }, terminal: true },
    ]);
    expect(result.template.spec.lifetime.idleStopAfter).toBe('1h');
  });

  it('storage 0 makes the persistent directories scratch space instead of volumes', () => {
    const result = catalogLabTemplate('database', { ...budget, storage: '0' });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const [db] = result.template.spec.components;
    expect(db?.volumes).toBeUndefined();
    expect(db?.writablePaths).toEqual(['/var/lib/postgresql/data', '/run/postgresql']);
  });

  it('names the budget field that is wrong', () => {
    const result = catalogLabTemplate('webserver', { cpu: '15m', memory: '1Gi', storage: '2Gi' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((error) => error.path)).toEqual(['spec.resources.cpu']);
    expect(!result.ok && result.errors[0]?.message).toContain('web, shell would get 7m CPU each');
  });

  it('refuses an unknown type and lists the known ones', () => {
    expect(catalogLabTemplate('kali', budget)).toEqual({
      ok: false,
      errors: [
        {
          path: 'type',
          message: 'unknown lab type "kali"; the types are: shell, webserver, database, desktop',
        },
      ],
    });
  });

  it('refuses a name that is not a DNS label', () => {
    const result = catalogLabTemplate('shell', { ...budget, name: 'My Lab' });
    expect(!result.ok && result.errors.map((error) => error.path)).toEqual(['metadata.name']);
  });
});
