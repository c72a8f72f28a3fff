/**
 * bench:gitops with --shards N: N `ferry serve --shards N` processes (bin/ferry, as deployed) share the generated
 * repository's apps on the local cluster. Prints start → all synced (the sum of the replicas'
 * ferry_app_sync_status{status="synced"}), each replica's peak RSS and CPU, and the CPU of the API server and etcd
 * in the same time: how much of the work is the controller's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readState } from '../src/localcluster/state.js';
import { eachLine } from './lines.js';
import { cpuSeconds, peakRssMiB } from './proc-usage.js';
import { ROOT } from './root.js';

interface Replica {
  identity: string;
  proc: ChildProcess;
  port?: number;
}

async function syncedOn(r: Replica): Promise<number> {
  if (!r.port) return 0;
  try {
    const text = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
    let n = 0;
    for (const line of text.split('\n'))
      if (line.startsWith('ferry_app_sync_status{') && line.includes('status="synced"'))
        n += Number(line.split(' ')[1]);
    return n;
  } catch {
    return 0;
  }
}

export async function runSharded(o: {
  repo: string;
  apps: number;
  shards: number;
  kubeconfig: string;
  cluster: string;
}) {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const components = readState(o.cluster)?.components ?? [];
  const pidOf = (name: string) => components.find((c) => c.name === name)?.pid ?? 0;
  const server = ['kube-apiserver', 'etcd'].map(pidOf);
  const others = ['kube-controller-manager', 'kube-scheduler', 'kwok'].map(pidOf);
  const sum = (pids: number[]) => pids.reduce((n, p) => n + cpuSeconds(p), 0);
  const [server0, others0] = [sum(server), sum(others)];
  const started = performance.now();
  const replicas: Replica[] = Array.from({ length: o.shards }, (_, k) => {
    const identity = `bench-${k + 1}`;
    const proc = spawn(
      join(ROOT, 'bin', 'ferry'),
      ['serve', '--repo', o.repo, '--shards', String(o.shards), '--identity', identity, '--port', '0'].concat([
        '--interval',
        '1h',
        '--resync',
        '0',
        '--cache-dir',
        join(o.repo, `.cache-${identity}`),
      ]),
      {
        env: { ...process.env, KUBECONFIG: o.kubeconfig, FERRY_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const r: Replica = { identity, proc };
    eachLine(proc.stdout!, (line) => {
      const port = /"port":(\d+).*ferry serve listening/.exec(line)?.[1];
      if (port) r.port = Number(port);
    });
    return r;
  });
  try {
    let synced = 0;
    while (synced < o.apps) {
      await sleep(2000);
      if (replicas.some((r) => r.proc.exitCode !== null)) throw new Error('a replica exited');
      synced = (await Promise.all(replicas.map(syncedOn))).reduce((a, b) => a + b, 0);
    }
    const seconds = (performance.now() - started) / 1000;
    const rows = replicas.map((r) => ({
      identity: r.identity,
      cpu: cpuSeconds(r.proc.pid!),
      rss: peakRssMiB(r.proc.pid!),
    }));
    const ferryCpu = rows.reduce((n, r) => n + r.cpu, 0);
    const serverCpu = sum(server) - server0;
    const othersCpu = sum(others) - others0;
    console.log(
      `bench:gitops (${o.apps} apps, 1 webservice each, local repository, ` +
        `${o.shards} replicas × --shards ${o.shards}, 2-core VM)`,
    );
    console.log(`  ${`start → all ${o.apps} synced:`.padEnd(37)}${seconds.toFixed(1)} s`);
    for (const r of rows)
      console.log(`  ${`${r.identity}: peak RSS / CPU`.padEnd(37)}${r.rss.toFixed(0)} MiB / ${r.cpu.toFixed(1)} s`);
    const total = ferryCpu + serverCpu + othersCpu;
    console.log(
      `  CPU in that time: controller ${ferryCpu.toFixed(0)} s (${((100 * ferryCpu) / total).toFixed(0)} %), ` +
        `API server + etcd ${serverCpu.toFixed(0)} s (${((100 * serverCpu) / total).toFixed(0)} %), ` +
        `controller-manager + scheduler + KWOK ${othersCpu.toFixed(0)} s`,
    );
  } finally {
    for (const r of replicas) r.proc.kill('SIGTERM');
    await sleep(3000);
    for (const r of replicas) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
  }
}
