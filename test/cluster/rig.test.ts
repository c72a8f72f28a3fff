/**
 * The local rig through its CLI: one component stopped, started and restarted on its own port with the
 * kubeconfig untouched, and `cluster:down` that never signals a recorded PID another process has taken.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { ClusterStatus } from '../../src/localcluster/cluster-status.js';
import { processStartTime } from '../../src/localcluster/process-identity.js';
import { readState, type ClusterState } from '../../src/localcluster/state.js';

const NAME = process.env.FERRY_TEST_CLUSTER ?? 'ferry-test';
const CLI = join(process.cwd(), 'dist', 'src', 'localcluster', 'cli.js');

/** Runs the cluster CLI (never synchronously: this process must stay free to reap its children). */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [CLI, ...args], { env }, (e, out, err) =>
      resolve({ code: e ? Number(e.code ?? 1) : 0, out, err }),
    ),
  );
}
const onTest = (command: string, component: string) => cli([command, '--name', NAME, '--component', component]);

async function status(url: string): Promise<number> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await r.body?.cancel();
    return r.status;
  } catch {
    return 0;
  }
}
const record = (name: string) => readState(NAME)!.components.find((c) => c.name === name)!;

describe('cluster:stop, cluster:start and cluster:restart', () => {
  it('prometheus stopped and started on the same URL; the traffic simulator restarted on its port', async () => {
    if (!inject('ownCluster')) return;
    const kubeconfig = readFileSync(inject('kubeconfig'));
    const ports = { ...readState(NAME)!.ports };
    const ready = `${inject('prometheusUrl')}/-/ready`;
    expect(await status(ready)).toBe(200);
    try {
      const stop = await onTest('stop', 'prometheus');
      expect(stop.err).toMatch(new RegExp(`^stopped prometheus \\(pid ${record('prometheus').pid}\\)`));
      expect(await status(ready)).toBe(0);
      const s = await cli(['status', '--name', NAME]);
      const shown = JSON.parse(s.out) as ClusterStatus;
      expect(s.code).toBe(0);
      expect(shown).toMatchObject({ running: true, ready: true, stopped: ['prometheus'] });
      expect(shown.components.find((c) => c.name === 'prometheus')).toMatchObject({ status: 'stopped', alive: false });
      expect(shown.components.filter((c) => c.status === 'running')).toHaveLength(shown.components.length - 1);

      const start = await onTest('start', 'prometheus');
      expect(start.err).toMatch(/^started prometheus \(pid \d+, port \d+\), answering after/);
      expect(await status(ready)).toBe(200);
      expect(readFileSync(inject('kubeconfig')).equals(kubeconfig)).toBe(true);
      expect(record('prometheus').stopped).toBeUndefined();

      const before = record('traffic').pid;
      const restart = await onTest('restart', 'traffic');
      expect(restart.err).toMatch(new RegExp(`^restarted traffic \\(pid ${before} → \\d+, port ${ports.traffic}\\)`));
      expect(record('traffic').pid).not.toBe(before);
      expect(await status(`http://127.0.0.1:${ports.traffic}/healthz`)).toBe(200);
      expect(readState(NAME)!.ports).toEqual(ports);
    } finally {
      if (record('prometheus').stopped) await onTest('start', 'prometheus');
    }
  });

  it('cluster:up on a cluster with a stopped component starts that one again, and reuses the rest', async () => {
    if (!inject('ownCluster')) return;
    const others = readState(NAME)!.components.filter((c) => c.name !== 'kube-scheduler');
    await onTest('stop', 'kube-scheduler');
    const up = await cli(['up', '--name', NAME]);
    expect(up.err).toMatch(/started kube-scheduler again/);
    expect(up.out.trim()).toBe(inject('kubeconfig'));
    const s = JSON.parse((await cli(['status', '--name', NAME])).out) as ClusterStatus;
    expect(s).toMatchObject({ running: true, ready: true, stopped: [] });
    expect(readState(NAME)!.components.filter((c) => c.name !== 'kube-scheduler')).toEqual(others);
  });

  it('refuses an unknown component, listing the known ones', async () => {
    if (!inject('ownCluster')) return;
    const r = await onTest('stop', 'etcd2');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown component "etcd2"; the components are etcd, kube-apiserver, .*, prometheus/);
  });
});

describe('cluster:down and recorded PIDs', () => {
  const root = mkdtempSync(join(tmpdir(), 'ferry-rig-'));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });
  const sleeper = () => {
    const c = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(c);
    return { pid: c.pid!, startTime: processStartTime(c.pid!)!, child: c };
  };
  const ended = (c: ChildProcess) =>
    new Promise<string | null>((r) =>
      c.signalCode || c.exitCode !== null ? r(c.signalCode) : c.once('exit', (_, s) => r(s)),
    );

  it('stops the processes still recorded, never one that took a recorded PID, and says which was gone', async () => {
    const etcd = sleeper();
    const foreign = sleeper();
    const dead = sleeper();
    dead.child.kill('SIGKILL');
    await ended(dead.child);
    const dir = join(root, 'fake');
    mkdirSync(dir);
    const component = (name: string, p: { pid: number; startTime: number }) => ({
      name,
      pid: p.pid,
      startTime: p.startTime,
      log: join(dir, `${name}.log`),
      command: ['sleep', '30'],
    });
    const state: ClusterState = {
      name: 'fake',
      kubeconfig: join(dir, 'kubeconfig'),
      ports: {},
      startedAt: new Date().toISOString(),
      components: [
        component('etcd', etcd),
        component('traffic', dead),
        // Its PID is now another process: the start time recorded is not that process's.
        component('prometheus', { pid: foreign.pid, startTime: foreign.startTime - 1 }),
      ],
    };
    writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
    const r = await cli(['down', '--name', 'fake'], { ...process.env, FERRY_CLUSTERS_DIR: root });
    expect(r.code).toBe(0);
    expect(r.err.trim()).toBe(
      `stopped etcd (pid ${etcd.pid}); already gone: traffic (pid ${dead.pid}), prometheus (pid ${foreign.pid})`,
    );
    expect(await ended(etcd.child)).toBe('SIGTERM');
    expect(foreign.child.exitCode === null && foreign.child.signalCode === null).toBe(true);
    expect(processStartTime(foreign.pid)).toBe(foreign.startTime);
    expect(existsSync(dir)).toBe(false);
  });
});
