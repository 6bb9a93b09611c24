/**
 * The lab provisioner on real Podman with the real lab images (scripts/build-images.sh lab-shell
 * lab-nginx): the shared contract, then what only Podman can show — the hardening as the kernel
 * sees it, a changed version replacing containers, one student failing alone, nothing left.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type AddressInfo, connect, createServer } from 'node:net';
import { promisify } from 'node:util';
import { collect, contractLabTemplate, labProvisionerContract } from '@aperture/backend-contract';
import { LABEL_INSTANCE } from '@aperture/backend-kubernetes';
import { catalogLabTemplate, type LabStudent, type LabVersionRef, labVersionId } from '@aperture/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_HOST_ID_BASE } from './container-args.ts';
import { LAB_CHAIN, LabHostFirewall } from './host-firewall.ts';
import { containerName, environmentName, LABEL_DEPLOYMENT_ID } from './lab-objects.ts';
import { PodmanLabProvisioner } from './podman-lab-provisioner.ts';

const run = promisify(execFile);
const INSTANCE = `labtest-${randomBytes(3).toString('hex')}`;
const scope = { instance: INSTANCE, prefix: 'lab' };

async function podman(...args: string[]): Promise<string> {
  return (await run('podman', args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
}

/** Names of everything of this test's instance (and one deployment, if given) Podman still has. */
async function leftovers(deploymentId?: string): Promise<string[]> {
  const filters = [
    `label=${LABEL_INSTANCE}=${INSTANCE}`,
    ...(deploymentId ? [`label=${LABEL_DEPLOYMENT_ID}=${deploymentId}`] : []),
  ];
  const by = (kind: string, args: string[], format = '{{.Name}}') =>
    podman(...args, ...filters.flatMap((f) => ['--filter', f]), '--format', format).then((out) =>
      out
        .split('\n')
        .filter(Boolean)
        .map((name) => `${kind} ${name}`),
    );
  return [
    ...(await by('container', ['ps', '--all'], '{{.Names}}')),
    ...(await by('volume', ['volume', 'ls'])),
    ...(await by('network', ['network', 'ls'])),
  ];
}

/** Retries `attempt` until it returns without throwing, for at most `ms` (a server starting up). */
async function eventually<T>(attempt: () => Promise<T>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** The lab host firewall's chain, as iptables prints it. */
async function iptablesRules(): Promise<string> {
  return (await run('iptables', ['-w', '-S', LAB_CHAIN])).stdout;
}

async function ip6tablesRules(): Promise<string> {
  return (await run('ip6tables', ['-w', '-S', LAB_CHAIN])).stdout;
}

/** What a host listener answered the host itself at `host` (the control of a reachability probe). */
function fromHost(host: string, port: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect({ host, port }, () => {});
    socket.setTimeout(5_000, () => reject(new Error(`no answer from ${host}:${port}`)));
    socket.setEncoding('utf8').once('data', resolve).once('error', reject);
  });
}

/** A listener on all addresses, both families (`::` without IPV6_V6ONLY), as a host service is. */
async function hostService(): Promise<{ port: number; close: () => void }> {
  const server = createServer((socket) => socket.end('host secret\n'));
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '::', ipv6Only: false }, resolve));
  return { port: (server.address() as AddressInfo).port, close: () => server.close() };
}

/** The link-local IPv6 address the host has on a lab network's bridge. */
async function bridgeLinkLocal(network: string): Promise<string> {
  const bridge = (await podman('network', 'inspect', '--format', '{{.NetworkInterface}}', network)).trim();
  const out = (await run('ip', ['-6', '-o', 'addr', 'show', 'dev', bridge, 'scope', 'link'])).stdout;
  const address = /inet6 (fe80::[0-9a-f:]+)\//.exec(out)?.[1];
  if (!address) throw new Error(`${bridge} has no link-local IPv6 address: ${out}`);
  return `${address}%${bridge}`;
}

async function sweep(): Promise<void> {
  const filter = ['--filter', `label=${LABEL_INSTANCE}=${INSTANCE}`];
  const ids = (await podman('ps', '--all', '--quiet', ...filter)).split('\n').filter(Boolean);
  if (ids.length > 0) await podman('rm', '--force', '--time', '0', ...ids);
  const volumes = (await podman('volume', 'ls', '--quiet', ...filter)).split('\n').filter(Boolean);
  if (volumes.length > 0) await podman('volume', 'rm', '--force', ...volumes);
  const networks = (await podman('network', 'ls', '--quiet', ...filter)).split('\n').filter(Boolean);
  if (networks.length > 0) await podman('network', 'rm', '--force', ...networks);
}

interface Inspected {
  Id: string;
  HostConfig: {
    ReadonlyRootfs: boolean;
    Memory: number;
    MemorySwap: number;
    NanoCpus: number;
    PortBindings?: object;
  };
  NetworkSettings: { Networks: Record<string, { IPAddress: string; Gateway: string }> };
}

async function inspect(container: string): Promise<Inspected> {
  return JSON.parse(await podman('inspect', container))[0];
}

const make = async () => PodmanLabProvisioner.fromOptions({ instance: INSTANCE, concurrency: 2 });

describe('PodmanLabProvisioner', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    for (const image of ['lab-shell', 'lab-nginx'])
      await podman('image', 'exists', `localhost/aperture/${image}:latest`).catch(() => {
        throw new Error(`missing image; run: bash scripts/build-images.sh lab-shell lab-nginx`);
      });
  });
  afterAll(sweep);

  labProvisionerContract('podman', make, {
    // Container ids change whenever a container is replaced; StartedAt whenever one is restarted.
    fingerprint: async (deploymentId) => {
      const out = await podman(
        'ps',
        '--all',
        '--filter',
        `label=${LABEL_DEPLOYMENT_ID}=${deploymentId}`,
        '--format',
        '{{.ID}} {{.Names}} {{.StartedAt}}',
      );
      return out.split('\n').filter(Boolean).sort();
    },
    peerAddresses: async (target) => {
      const environment = environmentName(scope, target.deploymentId, target.studentId);
      const details = await inspect(containerName(environment, target.component));
      const { IPAddress: ip, Gateway: gateway } = details.NetworkSettings.Networks[environment]!;
      // The other lab's container, and its network's gateway (the host's address on that bridge).
      return [ip, gateway, containerName(environment, target.component)];
    },
    leftovers,
  });

  describe('on Podman only', () => {
    const deploymentId = `podman-${randomBytes(3).toString('hex')}`;
    const carol: LabStudent = { id: `carol-${randomBytes(2).toString('hex')}`, username: 'carol' };
    const dave: LabStudent = { id: `dave-${randomBytes(2).toString('hex')}`, username: 'dave' };
    const template = contractLabTemplate();
    const v1: LabVersionRef = { id: labVersionId(template, {}), template, images: {} };
    let labs: PodmanLabProvisioner;
    const environment = (student: LabStudent) => environmentName(scope, deploymentId, student.id);

    beforeAll(async () => {
      labs = await make();
    });
    afterAll(async () => {
      await labs.teardown(deploymentId);
      await labs.close();
    });

    it('applies the hardening: uid 1000, read-only root, no capabilities, no new privileges, limits', async () => {
      const report = await labs.deploy({ deploymentId, labVersion: v1, students: [carol] });
      expect(report.succeeded).toBe(1);
      const target = { deploymentId, studentId: carol.id, component: 'shell' };
      const seen = await labs.exec(target, [
        'sh',
        '-c',
        'id -u; id -g; touch /etc/x 2>/dev/null && echo root-writable; touch /tmp/x && echo tmp-writable; ' +
          'grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status | tr -s "\\t" " "',
      ]);
      expect(seen).toMatchObject({ exitCode: 0, stderr: '' });
      expect(seen.stdout).toBe(
        '1000\n1000\ntmp-writable\nCapEff: 0000000000000000\nCapBnd: 0000000000000000\nNoNewPrivs: 1\n',
      );
      const shell = await inspect(containerName(environment(carol), 'shell'));
      expect(shell.HostConfig.ReadonlyRootfs).toBe(true);
      expect(shell.HostConfig.Memory).toBe(shell.HostConfig.MemorySwap);
      expect(shell.HostConfig.Memory).toBeGreaterThan(0);
      expect(shell.HostConfig.NanoCpus).toBeGreaterThan(0);
      expect(shell.HostConfig.PortBindings ?? {}).toEqual({});
      const network = JSON.parse(await podman('network', 'inspect', environment(carol)))[0];
      expect(network.internal).toBe(true);
      // The shares add up to the budget (1 CPU, 1Gi), as the namespace quota makes them on Kubernetes.
      const web = await inspect(containerName(environment(carol), 'web'));
      expect(web.HostConfig.NanoCpus + shell.HostConfig.NanoCpus).toBe(1_000_000_000);
      expect(web.HostConfig.Memory + shell.HostConfig.Memory).toBe(2 ** 30);
      // No way out: the internal network has no route beyond its subnet.
      const out = await labs.exec(target, [
        'sh',
        '-c',
        'curl -sS --connect-timeout 3 http://1.1.1.1/ || echo no-route',
      ]);
      expect(out.stdout).toContain('no-route');
    });

    it('the host is out of reach: a service on 0.0.0.0 does not answer a lab, DNS still does', async () => {
      const server = createServer((socket) => socket.end('host secret\n'));
      await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
      const port = (server.address() as AddressInfo).port;
      try {
        const gateway = (await inspect(containerName(environment(carol), 'shell'))).NetworkSettings.Networks[
          environment(carol)
        ]!.Gateway;
        // The control: the host itself reaches the listener at that address.
        const fromHost = await new Promise<string>((resolve, reject) => {
          const socket = connect({ host: gateway, port }, () => {});
          socket.setEncoding('utf8').once('data', resolve).once('error', reject);
        });
        expect(fromHost).toBe('host secret\n');
        const target = { deploymentId, studentId: carol.id, component: 'shell' };
        const probe = await labs.exec(target, [
          'sh',
          '-c',
          `nc -w 3 ${gateway} ${port} </dev/null; echo "nc $?"`,
        ]);
        expect(probe.stdout).not.toContain('host secret');
        expect(probe.stdout).toContain('nc 1');
        const names = await labs.exec(target, ['getent', 'hosts', 'web']);
        expect(names).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^10\./) });
        expect(await iptablesRules()).toContain(`aperture-lab:${environment(carol)}`);
      } finally {
        server.close();
      }
    });

    it('DNS is open to the gateway only: a host service on port 53 at another address of the bridge does not answer', async () => {
      const shell = await inspect(containerName(environment(carol), 'shell'));
      const { Gateway: gateway } = shell.NetworkSettings.Networks[environment(carol)]!;
      const bridge = (
        await podman('network', 'inspect', '--format', '{{.NetworkInterface}}', environment(carol))
      ).trim();
      // A second host address inside the lab's subnet (a host with several), with a service on 53.
      const other = gateway.replace(/\.\d+$/, '.250');
      await run('ip', ['addr', 'add', `${other}/24`, 'dev', bridge]);
      const server = createServer((socket) => socket.end('host secret\n'));
      try {
        await new Promise<void>((resolve) => server.listen(53, other, resolve));
        expect(await fromHost(other, 53)).toBe('host secret\n');
        const target = { deploymentId, studentId: carol.id, component: 'shell' };
        const probe = await labs.exec(target, ['sh', '-c', `nc -w 2 ${other} 53 </dev/null; echo "nc $?"`]);
        expect(probe.stdout).not.toContain('host secret');
        expect(probe.stdout).toContain('nc 1');
        // aardvark on the gateway still answers.
        expect(await labs.exec(target, ['getent', 'hosts', 'web'])).toMatchObject({ exitCode: 0 });
        expect(await iptablesRules()).toContain(`-d ${gateway}/32 -i ${bridge} -p udp -m udp --dport 53`);
      } finally {
        server.close();
        await run('ip', ['addr', 'del', `${other}/24`, 'dev', bridge]);
      }
    });

    it("IPv6: a host service on :: does not answer a lab at the bridge's link-local address", async () => {
      const service = await hostService();
      try {
        const linkLocal = await bridgeLinkLocal(environment(carol));
        // The control: the host reaches its own service at that address (so the lab could, unfiltered).
        expect(await fromHost(linkLocal, service.port)).toBe('host secret\n');
        const inLab = `${linkLocal.split('%')[0]}%eth0`;
        const target = { deploymentId, studentId: carol.id, component: 'shell' };
        const probe = await labs.exec(target, [
          'sh',
          '-c',
          `nc -6 -w 3 ${inLab} ${service.port} </dev/null; echo "nc $?"`,
        ]);
        expect(probe.stdout).not.toContain('host secret');
        expect(probe.stdout).toContain('nc 1');
        expect(await ip6tablesRules()).toContain(`aperture-lab:${environment(carol)}`);
      } finally {
        service.close();
      }
    });

    it('a flushed chain and a deleted jump are put back: by verifyFirewall, and by the next deploy', async () => {
      const service = await hostService();
      const target = { deploymentId, studentId: carol.id, component: 'shell' };
      const gateway = (await inspect(containerName(environment(carol), 'shell'))).NetworkSettings.Networks[
        environment(carol)
      ]!.Gateway;
      const linkLocal = (await bridgeLinkLocal(environment(carol))).split('%')[0];
      const probe = async () =>
        (
          await labs.exec(target, [
            'sh',
            '-c',
            `nc -w 2 ${gateway} ${service.port} </dev/null; nc -6 -w 2 ${linkLocal}%eth0 ${service.port} </dev/null; true`,
          ])
        ).stdout;
      const flush = async () => {
        for (const tool of ['iptables', 'ip6tables']) {
          await run(tool, ['-w', '-F', LAB_CHAIN]);
          await run(tool, ['-w', '-D', 'INPUT', '-j', LAB_CHAIN]);
        }
      };
      try {
        expect(await probe()).toBe('');
        await flush();
        // What a cached "chain ready" would have left: the lab reaches the host, in both families.
        expect(await probe()).toBe('host secret\nhost secret\n');
        const verified = await labs.verifyFirewall();
        expect(verified.repaired).toContain(environment(carol));
        expect(verified.checked).toBeGreaterThanOrEqual(1);
        expect(await probe()).toBe('');
        expect(await labs.verifyFirewall()).toMatchObject({ repaired: [] });
        await flush();
        expect((await labs.deploy({ deploymentId, labVersion: v1, students: [carol] })).succeeded).toBe(1);
        expect(await probe()).toBe('');
        expect(await iptablesRules()).toContain(`aperture-lab:${environment(carol)}`);
        expect((await run('iptables', ['-w', '-C', 'INPUT', '-j', LAB_CHAIN])).stderr).toBe('');
      } finally {
        service.close();
      }
    });

    it('many firewall changes at once (other writers on the same tables meanwhile) all land', async () => {
      const nets = Array.from({ length: 8 }, (_, i) => `lab-many-${i}-${randomBytes(2).toString('hex')}`);
      // Another writer of the filter table the whole time, as netavark and kube-proxy are.
      const scratch = `ZZ-${randomBytes(2).toString('hex')}`;
      const writer = run('sh', [
        '-c',
        `iptables -w -N ${scratch}; for i in $(seq 60); do iptables -w -A ${scratch} -j RETURN; iptables -w -D ${scratch} -j RETURN; done; iptables -w -X ${scratch}`,
      ]);
      try {
        await Promise.all(
          nets.map((net, i) => new LabHostFirewall().isolate(net, `podman-zz${i}`, `10.254.${i}.1`)),
        );
        const rules = await iptablesRules();
        for (const net of nets) expect(rules.split(`aperture-lab:${net}"`).length - 1).toBe(4);
        await Promise.all(nets.map((net) => new LabHostFirewall().release([net])));
        for (const net of nets) expect(await iptablesRules()).not.toContain(net);
        for (const net of nets) expect(await ip6tablesRules()).not.toContain(net);
      } finally {
        await writer;
      }
    });

    it('a deploy sweeps firewall rules of networks that are gone', async () => {
      const gone = `lab-gone-${randomBytes(3).toString('hex')}`;
      await new LabHostFirewall().isolate(gone, 'podman-none0', '10.254.99.1');
      expect(await iptablesRules()).toContain(`aperture-lab:${gone}`);
      expect((await labs.deploy({ deploymentId, labVersion: v1, students: [carol] })).succeeded).toBe(1);
      expect(await iptablesRules()).not.toContain(gone);
      expect(await iptablesRules()).toContain(`aperture-lab:${environment(carol)}`);
    });

    it('a changed version replaces the containers; the home volume stays', async () => {
      const target = { deploymentId, studentId: carol.id, component: 'shell' };
      expect((await labs.exec(target, ['sh', '-c', 'echo mine > "$HOME/notes.txt"'])).exitCode).toBe(0);
      const before = (await inspect(containerName(environment(carol), 'shell'))).Id;
      const changed = structuredClone(template);
      changed.spec.components[1]!.env = [
        ...(changed.spec.components[1]!.env ?? []),
        { name: 'COURSE', value: 'cs101' },
      ];
      const v2: LabVersionRef = { id: labVersionId(changed, {}), template: changed, images: {} };
      expect((await labs.deploy({ deploymentId, labVersion: v2, students: [carol] })).succeeded).toBe(1);
      const after = await inspect(containerName(environment(carol), 'shell'));
      expect(after.Id).not.toBe(before);
      const status = await labs.status(deploymentId, [carol]);
      expect(status.students[0]).toMatchObject({ state: 'ready', versionId: v2.id });
      expect(await labs.exec(target, ['sh', '-c', 'echo $COURSE; cat "$HOME/notes.txt"'])).toMatchObject({
        stdout: 'cs101\nmine\n',
      });
    });

    it("one student's failure is that student's result", async () => {
      // Someone else's container holds the name dave's shell needs.
      const squatter = containerName(environment(dave), 'shell');
      await podman('create', '--name', squatter, 'localhost/aperture/lab-shell');
      try {
        const events: string[] = [];
        const report = await labs.deploy({
          deploymentId,
          labVersion: v1,
          students: [carol, dave],
          onProgress: (event) => events.push(`${event.student.username} ${event.phase}`),
        });
        expect(report).toMatchObject({ succeeded: 1, failed: 1 });
        expect(report.students[0]).toMatchObject({ ok: true, student: carol });
        expect(report.students[1]).toMatchObject({ ok: false, student: dave, code: 'podman_name_in_use' });
        expect((report.students[1] as { error: string }).error).toContain(squatter);
        expect(events).toContain('dave failed');
        const status = await labs.status(deploymentId, [carol, dave]);
        expect(status.students.find((s) => s.student.id === dave.id)?.state).toMatch(/starting|failed/);
      } finally {
        await podman('rm', '--force', squatter);
      }
    });

    it('two deploys of the same students at once both succeed, with one container per component', async () => {
      const id = `${deploymentId}-twice`;
      const students = [dave];
      const [first, second] = await Promise.all([
        labs.deploy({ deploymentId: id, labVersion: v1, students }),
        labs.deploy({ deploymentId: id, labVersion: v1, students }),
      ]);
      expect([first.succeeded, second.succeeded]).toEqual([1, 1]);
      const containers = (
        await podman(
          'ps',
          '--all',
          '--filter',
          `label=${LABEL_DEPLOYMENT_ID}=${id}`,
          '--format',
          '{{.Names}}',
        )
      )
        .split('\n')
        .filter(Boolean);
      expect(containers).toHaveLength(2);
      expect((await labs.teardown(id)).verified).toBe(true);
    });

    it('an image Podman does not have fails the students with podman_image_missing, naming it', async () => {
      const never = PodmanLabProvisioner.fromOptions({ instance: INSTANCE, imagePullPolicy: 'Never' });
      const broken = structuredClone(template);
      broken.spec.components[0]!.image = 'aperture/lab-missing';
      const version: LabVersionRef = { id: labVersionId(broken, {}), template: broken, images: {} };
      const report = await never.deploy({
        deploymentId: `${deploymentId}-img`,
        labVersion: version,
        students: [dave],
      });
      expect(report.students[0]).toMatchObject({ ok: false, code: 'podman_image_missing' });
      expect((report.students[0] as { error: string }).error).toContain('localhost/aperture/lab-missing');
      expect((await never.teardown(`${deploymentId}-img`)).verified).toBe(true);
    });

    it('the database and desktop labs run too: psql from the shell (PGHOST=db), RFB on 5901', async () => {
      for (const type of ['database', 'desktop']) {
        const catalog = catalogLabTemplate(type, { cpu: '2', memory: '2Gi', storage: '1Gi' });
        if (!catalog.ok) throw new Error(JSON.stringify(catalog.errors));
        const labVersion = { id: labVersionId(catalog.template, {}), template: catalog.template, images: {} };
        const id = `${deploymentId}-${type}`;
        try {
          expect((await labs.deploy({ deploymentId: id, labVersion, students: [carol] })).succeeded).toBe(1);
          const target = {
            deploymentId: id,
            studentId: carol.id,
            component: type === 'database' ? 'shell' : 'desktop',
          };
          const answer = await eventually(async () => {
            if (type === 'database') {
              const result = await labs.exec(target, ['psql', '-Atc', 'select 6 * 7']);
              if (result.exitCode !== 0) throw new Error(result.stderr);
              return result.stdout;
            }
            const socket = await labs.connect(target, 5901);
            try {
              return await collect(socket).until(/^RFB \d{3}\.\d{3}\n/, 5_000);
            } finally {
              socket.destroy();
            }
          });
          expect(answer).toBe(type === 'database' ? '42\n' : 'RFB 003.008\n');
        } finally {
          expect((await labs.teardown(id)).verified).toBe(true);
        }
      }
    }, 120_000);

    it('userNamespace: lab uid 1000 is host uid 1 000 001 000; the database and desktop labs work in it', async () => {
      const mapped = PodmanLabProvisioner.fromOptions({ instance: INSTANCE, userNamespace: true });
      try {
        for (const type of ['database', 'desktop']) {
          const catalog = catalogLabTemplate(type, { cpu: '2', memory: '2Gi', storage: '1Gi' });
          if (!catalog.ok) throw new Error(JSON.stringify(catalog.errors));
          const labVersion = {
            id: labVersionId(catalog.template, {}),
            template: catalog.template,
            images: {},
          };
          const id = `${deploymentId}-uns-${type}`;
          const component = type === 'database' ? 'shell' : 'desktop';
          const container = containerName(environmentName(scope, id, carol.id), component);
          try {
            expect((await mapped.deploy({ deploymentId: id, labVersion, students: [carol] })).succeeded).toBe(
              1,
            );
            const target = { deploymentId: id, studentId: carol.id, component };
            const inLab = await mapped.exec(target, ['sh', '-c', 'id -u; cat /proc/self/uid_map']);
            expect(inLab.stdout.trim().split(/\s+/)).toEqual([
              '1000',
              '0',
              String(LAB_HOST_ID_BASE),
              '65536',
            ]);
            const huser = await podman('top', container, 'user', 'huser');
            expect(huser).toMatch(new RegExp(`\\s${LAB_HOST_ID_BASE + 1000}\\s*$`, 'm'));
            const pid = (await podman('inspect', '--format', '{{.State.Pid}}', container)).trim();
            const status = (await run('cat', [`/proc/${pid}/status`])).stdout;
            expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(LAB_HOST_ID_BASE + 1000));
            // The volume (home) and a tmpfs are writable.
            const wrote = await mapped.exec(target, [
              'sh',
              '-c',
              'echo mine > "$HOME/n.txt" && touch /tmp/t && echo ok',
            ]);
            expect(wrote.stdout).toBe('ok\n');
            const answer = await eventually(async () => {
              if (type === 'database') {
                const result = await mapped.exec(target, ['psql', '-Atc', 'select 6 * 7']);
                if (result.exitCode !== 0) throw new Error(result.stderr);
                return result.stdout;
              }
              const socket = await mapped.connect(target, 5901);
              try {
                return await collect(socket).until(/^RFB \d{3}\.\d{3}\n/, 5_000);
              } finally {
                socket.destroy();
              }
            });
            expect(answer).toBe(type === 'database' ? '42\n' : 'RFB 003.008\n');
            const terminal = await mapped.openTerminal(target, { size: { cols: 80, rows: 24 } });
            const screen = collect(terminal.stream);
            terminal.stream.write('echo $((6*7))\r');
            await screen.until(/[\r\n]42\r?\n/);
            terminal.close();
            // What breaks (why it is off by default): a process cannot open its own stdout by path.
            expect((await mapped.exec(target, ['sh', '-c', 'echo x > /dev/stdout'])).exitCode).not.toBe(0);
          } finally {
            expect((await mapped.teardown(id)).verified).toBe(true);
          }
        }
      } finally {
        await mapped.close();
      }
    }, 180_000);

    it('teardown leaves no container, volume or network of the deployment', async () => {
      const receipt = await labs.teardown(deploymentId);
      // What remained and why, if anything did (seen once under heavy load on a 2-core machine).
      expect(receipt.verified, JSON.stringify({ remaining: receipt.remaining, errors: receipt.errors })).toBe(
        true,
      );
      expect(receipt.deleted.map((ref) => ref.kind).sort()).toEqual(
        expect.arrayContaining(['Container', 'Network', 'Volume']),
      );
      expect(await leftovers(deploymentId)).toEqual([]);
      expect(await podman('network', 'ls', '--format', '{{.Name}}')).not.toContain(environment(carol));
      expect(await iptablesRules()).not.toContain(environment(carol));
    });
  });
});
