import { describe, expect, it } from 'vitest';
import { sandboxSpecGenerator } from './api-sandbox-spec.ts';
import { FrameDemuxer } from './podman-api-client.ts';

const spec = {
  image: 'localhost/aperture/runner-python:latest',
  memoryBytes: 300_000_000,
  pids: 96,
  cpus: 1.5,
  network: false,
  workDirBytes: 64 << 20,
  deadlineMs: 1,
};

describe('sandbox SpecGenerator (the API twin of sandbox-args.ts)', () => {
  const generated = sandboxSpecGenerator(spec, 'aperture-api-x-1', { 'dev.aperture.run': 'run_x' });

  it('carries every hardening flag of the CLI path', () => {
    expect(generated).toMatchObject({
      name: 'aperture-api-x-1',
      image: spec.image,
      labels: { 'dev.aperture.managed': 'true', 'dev.aperture.run': 'run_x' },
      netns: { nsmode: 'none' },
      read_only_filesystem: true,
      read_write_tmpfs: false,
      cap_drop: ['ALL'],
      no_new_privileges: true,
      user: '1000:1000',
      resource_limits: {
        memory: { limit: 300_000_000, swap: 300_000_000 },
        pids: { limit: 96 },
        cpu: { quota: 150_000, period: 100_000 },
      },
      hostname: 'sandbox',
      work_dir: '/work',
      stdin: true,
      remove: true,
    });
    expect(generated).not.toHaveProperty('cap_add');
    expect(generated).not.toHaveProperty('env');
  });

  it('mounts size-capped tmpfs work dirs and nothing else', () => {
    const options = (bytes: number) => ['rw', 'exec', 'nosuid', 'nodev', `size=${bytes}`, 'mode=1777'];
    expect(generated['mounts']).toEqual([
      { destination: '/work', type: 'tmpfs', source: 'tmpfs', options: options(64 << 20) },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: options(16 << 20) },
      { destination: '/autograder', type: 'tmpfs', source: 'tmpfs', options: options(64 << 20) },
    ]);
  });

  it('gives the network only to a sandbox that asks for it', () => {
    expect(sandboxSpecGenerator({ ...spec, network: true }, 'n', {})['netns']).toEqual({
      nsmode: 'slirp4netns',
    });
  });
});

describe('attach stream demultiplexing', () => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };

  it('splits stdout from stderr whatever the read boundaries', () => {
    const stream = Buffer.concat([
      frame(2, 'ready\n'),
      frame(1, 'hello '),
      frame(1, 'world\n'),
      frame(2, ''),
    ]);
    for (const cut of [1, 3, 7, 8, 9, 13, 20, stream.length]) {
      const seen: Array<[number, string]> = [];
      const demux = new FrameDemuxer((s, payload) => seen.push([s, payload.toString()]));
      for (let i = 0; i < stream.length; i += cut) demux.push(stream.subarray(i, i + cut));
      expect(seen).toEqual([
        [2, 'ready\n'],
        [1, 'hello '],
        [1, 'world\n'],
        [2, ''],
      ]);
    }
  });
});
