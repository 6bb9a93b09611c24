import { describe, expect, it } from 'vitest';
import { decodedSize, safeRelativePath, validateFiles } from './files.ts';

const file = (path: string, text = 'x') => ({ path, contentBase64: Buffer.from(text).toString('base64') });

describe('safeRelativePath', () => {
  it.each([
    ['main.py', 'main.py'],
    ['./src//util.py', 'src/util.py'],
    ['My Project/Main.java', 'My Project/Main.java'],
  ])('accepts %s', (input, expected) => expect(safeRelativePath(input)).toBe(expected));

  it.each([
    '../x',
    'a/../../x',
    '/etc/passwd',
    'a\\b',
    '',
    '.',
    'a/\0b',
    'x/.../y$',
    `${'a'.repeat(201)}`,
    '-rf/$(x)',
  ])('rejects %j', (input) => expect(() => safeRelativePath(input)).toThrow(/not allowed/));
});

describe('validateFiles', () => {
  it('counts decoded bytes, not base64 characters', () => {
    expect(decodedSize(file('a', 'hello'))).toBe(5);
  });

  it('rejects duplicates after normalisation, bad base64, too many and too large', () => {
    expect(() => validateFiles([file('a.py'), file('./a.py')])).toThrow(/twice/);
    expect(() => validateFiles([{ path: 'a', contentBase64: '!!!' }])).toThrow(/base64/);
    expect(() => validateFiles(Array.from({ length: 101 }, (_, i) => file(`f${i}`)))).toThrow(/At most/);
    expect(() => validateFiles([file('big', 'x'.repeat(100))], 10)).toThrow(/limit/);
    expect(() => validateFiles([])).toThrow(/At least one/);
  });
});
