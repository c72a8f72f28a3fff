/**
 * `ferry serve` as its own process (bin/ferry), as in production, for the benchmarks that run it on a local
 * cluster: it watches a local Git repository, logs JSON to a file, and reports its port there.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The controller's HTTP port (`/metrics`). */
  readonly port: number;
  /** Throws when the process has exited. */
  check(): void;
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** The project's root (bin/ferry). */
  root: string;
  repo: string;
  kubeconfig: string;
  prometheusUrl: string;
  logFile: string;
  /** A sleep that throws when the bench is interrupted. */
  sleep: (ms: number) => Promise<void>;
}

export async function startServe(o: ServeOptions): Promise<ServeProcess> {
  const fd = openSync(o.logFile, 'w');
  const child = spawn(
    process.execPath,
    [
      join(o.root, 'bin', 'ferry'),
      'serve',
      ...['--repo', o.repo, '--cache-dir', join(o.repo, '.git', 'ferry-cache')],
      ...['--interval', '2s', '--no-leader-elect', '--port', '0'],
      ...['--prometheus-url', o.prometheusUrl, '--resync', '0'],
    ],
    {
      cwd: o.root,
      env: { ...process.env, KUBECONFIG: o.kubeconfig, FERRY_LOG_FORMAT: 'json' },
      stdio: ['ignore', fd, fd],
    },
  );
  closeSync(fd);
  const check = () => {
    if (child.exitCode !== null) throw new Error(`ferry serve exited with ${child.exitCode}; see ${o.logFile}`);
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  try {
    for (const deadline = Date.now() + 60_000; ; await o.sleep(200)) {
      check();
      if (Date.now() > deadline) throw new Error(`ferry serve did not report its port in 60 s; see ${o.logFile}`);
      const m = readFileSync(o.logFile, 'utf8').match(/ferry serve: http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) return { child, pid: child.pid!, port: Number(m[1]), check, stop };
    }
  } catch (e) {
    await stop();
    throw e;
  }
}
