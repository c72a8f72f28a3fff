/**
 * The soak: one `ferry serve` process (bin/ferry, as deployed) follows a generated repository of N apps while
 * commits arrive at a steady rate, each announced by a signed webhook, for a fixed time. Measured: the process's
 * RSS and open file descriptors at every mark, commit → applied (the webhook sent → the app's Deployment runs the
 * new image), error log lines, and commits never applied. bench/soak.ts prints it; a short run is a cluster test.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeCluster } from '../src/kube/kube-cluster.js';
import { eachLine } from './lines.js';
import { ROOT } from './root.js';
import { median, percentile } from './stats.js';

export interface SoakOptions {
  kubeconfig: string;
  apps: number;
  minutes: number;
  commitsPerMinute: number;
  /** Minutes between RSS / handle marks. */
  markMinutes: number;
  /** Progress lines (stderr). */
  log?: (line: string) => void;
}

export interface SoakMark {
  minute: number;
  rssMiB: number;
  fds: number;
}

export interface SoakReport {
  syncSeconds: number;
  marks: SoakMark[];
  commits: number;
  applied: number;
  latencies: number[];
  p50: number;
  p99: number;
  errors: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NS = 'bench-soak';
const appYaml = (i: number, version: number) => `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: soak-${i}, namespace: ${NS}}
spec:
  components:
    - name: soak-${i}
      type: webservice
      properties: {image: "registry.example.com/soak-${i}:${version}", port: 8080}
`;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => undefined);
  const repo = mkdtempSync(join(tmpdir(), 'ferry-soak-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=s', '-c', 'user.email=s@example.com', ...args], { cwd: repo });
  git('init', '-q', '-b', 'main');
  const versions = Array.from({ length: o.apps }, () => 1);
  for (let i = 0; i < o.apps; i++) {
    mkdirSync(join(repo, 'apps', `soak-${i}`), { recursive: true });
    writeFileSync(join(repo, 'apps', `soak-${i}`, 'app.yaml'), appYaml(i, 1));
  }
  git('add', '-A');
  git('commit', '-qm', 'apps');
  const secret = 'soak-secret';
  const errors: string[] = [];
  const proc = spawn(
    join(ROOT, 'bin', 'ferry'),
    ['serve', '--repo', repo, '--port', '0', '--interval', '1h', '--no-leader-elect', '--cache-dir', join(repo, '.c')],
    {
      env: { ...process.env, KUBECONFIG: o.kubeconfig, FERRY_WEBHOOK_SECRET: secret, FERRY_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let port = 0;
  eachLine(proc.stdout!, (line) => {
    if (!port) port = Number(/"port":(\d+).*ferry serve listening/.exec(line)?.[1] ?? 0);
    if (/"level":(50|60)/.test(line)) errors.push(line.slice(0, 400));
  });
  const cluster = KubeCluster.fromFile(o.kubeconfig);
  const metric = async (name: string, match: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`) && l.includes(match))
      .reduce((n, l) => n + Number(l.split(' ')[1]), 0);
  };
  const imageOf = async (i: number) =>
    (
      (await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: `soak-${i}` }))?.spec as
        | { template: { spec: { containers: { image: string }[] } } }
        | undefined
    )?.template.spec.containers[0]?.image;
  try {
    const t0 = performance.now();
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`ferry serve exited (${proc.exitCode})`);
      if (port && (await metric('ferry_app_sync_status', 'status="synced"').catch(() => 0)) >= o.apps) break;
      await sleep(1000);
    }
    const syncSeconds = (performance.now() - t0) / 1000;
    log(`all ${o.apps} apps synced in ${syncSeconds.toFixed(1)} s; soaking for ${o.minutes} min`);
    const start = performance.now();
    const minute = () => (performance.now() - start) / 60_000;
    const marks: SoakMark[] = [];
    const mark = () => {
      const m = {
        minute: Math.round(minute() * 10) / 10,
        rssMiB: rssMiB(proc.pid!),
        fds: readdirSync(`/proc/${proc.pid}/fd`).length,
      };
      marks.push(m);
      log(
        `minute ${m.minute}: RSS ${m.rssMiB.toFixed(0)} MiB, ${m.fds} open file descriptors, ${errors.length} errors`,
      );
    };
    mark();
    const latencies: number[] = [];
    const pending: Promise<void>[] = [];
    let commits = 0;
    let nextMark = o.markMinutes;
    const gap = 60_000 / o.commitsPerMinute;
    while (minute() < o.minutes) {
      const due = start + commits * gap;
      await sleep(Math.max(0, due - performance.now()));
      const i = Math.floor(Math.random() * o.apps);
      versions[i]! += 1;
      writeFileSync(join(repo, 'apps', `soak-${i}`, 'app.yaml'), appYaml(i, versions[i]!));
      git('commit', '-qam', `soak-${i} ${versions[i]}`);
      commits++;
      const body = JSON.stringify({ ref: 'refs/heads/main' });
      const sent = performance.now();
      await fetch(`http://127.0.0.1:${port}/webhook`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-ferry-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
        },
      });
      pending.push(
        (async () => {
          // The app's Deployment at this commit's version, or a later one's (the same app committed again).
          const wanted = versions[i]!;
          while (performance.now() - sent < 120_000) {
            const seen = Number((await imageOf(i).catch(() => undefined))?.split(':').pop() ?? 0);
            if (seen >= wanted) break;
            await sleep(50);
          }
          if (performance.now() - sent >= 120_000) errors.push(`soak-${i}: version ${wanted} not applied within 120 s`);
          else latencies.push((performance.now() - sent) / 1000);
        })(),
      );
      if (minute() >= nextMark) {
        mark();
        nextMark += o.markMinutes;
      }
    }
    await Promise.all(pending);
    if (marks[marks.length - 1]!.minute < o.minutes) mark();
    return {
      syncSeconds,
      marks,
      commits,
      applied: latencies.length,
      latencies,
      p50: median(latencies),
      p99: percentile(latencies, 99),
      errors,
    };
  } finally {
    proc.kill('SIGTERM');
    await sleep(2000);
    if (proc.exitCode === null) proc.kill('SIGKILL');
    await cluster.close();
    rmSync(repo, { recursive: true, force: true });
  }
}
