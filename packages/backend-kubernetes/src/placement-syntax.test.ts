import { describe, expect, it } from 'vitest';
import {
  parseArchitectures,
  parseNodeSelector,
  parseSeccompProfile,
  parseTolerations,
} from './placement-syntax.ts';

describe('placement syntax', () => {
  it('parses node selectors', () => {
    expect(parseNodeSelector('pool=runners, node.example.edu/disk=ssd')).toEqual({
      pool: 'runners',
      'node.example.edu/disk': 'ssd',
    });
    expect(parseNodeSelector('')).toEqual({});
    expect(() => parseNodeSelector('pool')).toThrow(/node selector "pool"/);
    expect(() => parseNodeSelector('a=b=c')).toThrow(/expected key=value/);
  });

  it('parses tolerations in kubectl taint syntax', () => {
    expect(parseTolerations('dedicated=runners:NoSchedule,gpu:NoExecute')).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'runners', effect: 'NoSchedule' },
      { key: 'gpu', operator: 'Exists', effect: 'NoExecute' },
    ]);
    expect(() => parseTolerations('dedicated=runners')).toThrow(/toleration "dedicated=runners"/);
    expect(() => parseTolerations('a:Sometimes')).toThrow(/effect must be one of/);
  });

  it('parses architectures', () => {
    expect(parseArchitectures('amd64, arm64')).toEqual(['amd64', 'arm64']);
    expect(() => parseArchitectures('x86 64')).toThrow(/architecture/);
  });

  it('parses a Localhost seccomp profile path', () => {
    expect(parseSeccompProfile('aperture/runner.json')).toBe('aperture/runner.json');
    expect(parseSeccompProfile(' runner.json ')).toBe('runner.json');
    for (const bad of ['', '/var/lib/kubelet/seccomp/runner.json', '../runner.json', 'a//b', 'a/./b', 'a b'])
      expect(() => parseSeccompProfile(bad), bad).toThrow(/seccomp profile/);
  });
});
