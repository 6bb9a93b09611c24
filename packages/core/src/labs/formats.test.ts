import { describe, expect, it } from 'vitest';
import { ABSOLUTE_PATH, DNS_1035_LABEL, IMAGE_REFERENCE, PORT_NAME } from './formats.ts';

describe('lab template formats', () => {
  it('image references: registry, port, path, tag, digest', () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    for (const image of [
      'aperture/lab-nginx',
      'nginx',
      'registry.example.edu/lab:1.2',
      'localhost:5000/course/web_app:v1.0-rc1',
      'quay.io/containerdisks/fedora:40',
      `aperture/lab-shell@${digest}`,
      `docker.io/library/debian:12@${digest}`,
    ]) {
      expect(IMAGE_REFERENCE.test(image), image).toBe(true);
    }
    for (const image of ['Aperture/Lab', 'nginx:', 'a//b', '-a', 'a:tag:tag', 'a@sha256:abc', 'a b', '']) {
      expect(IMAGE_REFERENCE.test(image), image).toBe(false);
    }
  });

  it('port names are IANA service names', () => {
    for (const name of ['http', 'postgres', 'h2c', 'web-8080']) expect(PORT_NAME.test(name), name).toBe(true);
    for (const name of ['8080', 'HTTP', 'a--b', '-http', 'http-', ''])
      expect(PORT_NAME.test(name), name).toBe(false);
  });

  it('component names start with a letter (Service names need it)', () => {
    expect(DNS_1035_LABEL.test('web')).toBe(true);
    expect(DNS_1035_LABEL.test('1web')).toBe(false);
  });

  it('mount paths are absolute and plain', () => {
    for (const path of ['/home/student', '/var/lib/postgresql/data', '/a.b/.c'])
      expect(ABSOLUTE_PATH.test(path), path).toBe(true);
    for (const path of ['/', 'relative', '/a/', '/a/../b', '/./a', '/a:b', '//a'])
      expect(ABSOLUTE_PATH.test(path), path).toBe(false);
  });
});
