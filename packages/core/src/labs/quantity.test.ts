import { describe, expect, it } from 'vitest';
import { formatByteQuantity, formatCpu, parseBytes, parseCpu, parseQuantity } from './quantity.ts';

describe('parseQuantity', () => {
  it.each([
    ['1', 1],
    ['0', 0],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['500m', 0.5],
    ['1k', 1000],
    ['2G', 2e9],
    ['1Ki', 1024],
    ['512Mi', 512 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1Ti', 2 ** 40],
    ['1Ei', 2 ** 60],
    ['1e3', 1000],
    ['1E', 1e18],
    ['5E-1', 0.5],
  ])('%s is %d', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 9);
  });

  it.each([
    '',
    ' 1',
    '1 ',
    '-1',
    '+1',
    '1.2.3',
    '1gi',
    '1GB',
    '1Mb',
    'Gi',
    '1 Gi',
    'one',
    '0x10',
    '1e',
    '1e9999',
  ])('refuses %j', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
  });
});

describe('parseCpu', () => {
  it('reads cores and millicores as millicores', () => {
    expect(parseCpu('1')).toBe(1000);
    expect(parseCpu('500m')).toBe(500);
    expect(parseCpu('0.1')).toBe(100);
    expect(parseCpu('2.5')).toBe(2500);
    expect(parseCpu('1500m')).toBe(1500);
  });

  it('refuses precision finer than a millicore', () => {
    expect(parseCpu('0.5m')).toBeUndefined();
    expect(parseCpu('0.0001')).toBeUndefined();
    expect(parseCpu('100u')).toBeUndefined();
  });
});

describe('parseBytes', () => {
  it('reads sizes as whole bytes', () => {
    expect(parseBytes('1Gi')).toBe(1073741824);
    expect(parseBytes('512Mi')).toBe(536870912);
    expect(parseBytes('2G')).toBe(2_000_000_000);
    expect(parseBytes('1000')).toBe(1000);
  });

  it('refuses fractions of a byte and sizes beyond exact integers', () => {
    expect(parseBytes('500m')).toBeUndefined();
    expect(parseBytes('0.5')).toBeUndefined();
    expect(parseBytes('100E')).toBeUndefined();
  });
});

describe('formatting', () => {
  it('writes CPU the way Kubernetes reads it back', () => {
    expect(formatCpu(1000)).toBe('1');
    expect(formatCpu(500)).toBe('500m');
    expect(formatCpu(2500)).toBe('2500m');
    expect(parseCpu(formatCpu(333))).toBe(333);
  });

  it('writes bytes in the largest exact binary unit', () => {
    expect(formatByteQuantity(2 ** 30)).toBe('1Gi');
    expect(formatByteQuantity(1536 * 2 ** 20)).toBe('1536Mi');
    expect(formatByteQuantity(1000)).toBe('1000');
    expect(formatByteQuantity(0)).toBe('0');
    expect(parseBytes(formatByteQuantity(768 * 2 ** 20))).toBe(768 * 2 ** 20);
  });
});
