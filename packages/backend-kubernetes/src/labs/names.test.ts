import { describe, expect, it } from 'vitest';
import { claimName, hashedName, labNamespaceName, slug } from './names.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('lab object names', () => {
  it('are readable, deterministic and DNS labels', () => {
    const name = labNamespaceName('lab', 'dep-01HZX', 'alice@example.edu');
    expect(name).toMatch(/^lab-dep-01hzx-alice-example-edu-[0-9a-f]{10}$/);
    expect(labNamespaceName('lab', 'dep-01HZX', 'alice@example.edu')).toBe(name);
    expect(name).toMatch(DNS_LABEL);
  });

  it('differ for ids that slug alike', () => {
    expect(labNamespaceName('lab', 'd', 'Alice')).not.toBe(labNamespaceName('lab', 'd', 'alice'));
    expect(claimName('a-b', 'c')).not.toBe(claimName('a', 'b-c'));
    expect(labNamespaceName('lab', 'd1', 's')).not.toBe(labNamespaceName('lab', 'd2', 's'));
  });

  it('stay within 63 characters however long the ids are', () => {
    const name = labNamespaceName('lab', 'x'.repeat(200), `${'y'.repeat(100)}-`);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(DNS_LABEL);
    expect(claimName('c'.repeat(63), 'v'.repeat(63)).length).toBeLessThanOrEqual(63);
  });

  it('fall back to the hash when nothing readable is left', () => {
    expect(hashedName(['---', '@@'], ['x'])).toMatch(/^[0-9a-f]{10}$/);
    expect(slug('--Hello, World!--')).toBe('hello-world');
  });
});
