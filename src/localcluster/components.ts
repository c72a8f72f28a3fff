/**
 * One component of a local cluster: spawned with its start time recorded, then stopped, started or
 * restarted on its own (`cluster:stop|start|restart`) with the command line recorded for it, so its port,
 * every other address and the kubeconfig stay as they were. A start waits until the component answers.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePki } from './pki.js';
import { isPortOpen, probeHttp, probeHttps, waitFor } from './probes.js';
import { endProcesses, isRecordedProcessRunning, processStartTime } from './process-identity.js';
import { clusterDir, readState, writeState, type ClusterState, type ComponentRecord } from './state.js';

/** Every component a cluster may run; `traffic` and `prometheus` only with `--with-metrics`. */
export const COMPONENTS = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
  'traffic',
  'prometheus',
] as const;
export type ComponentName = (typeof COMPONENTS)[number];

/** How a component shows it is up: its port (a key of ClusterState.ports) and the check on it. */
interface Readiness {
  port: string;
  what: (port: number) => string;
  check: (port: number, dir: string) => Promise<boolean>;
}
const answers = async (status: Promise<number>) => (await status) === 200;
const READINESS: Record<ComponentName, Readiness> = {
  etcd: { port: 'etcd', what: (p) => `etcd on port ${p}`, check: (p) => isPortOpen(p) },
  'kube-apiserver': {
    port: 'apiserver',
    what: (p) => `kube-apiserver https://127.0.0.1:${p}/readyz`,
    check: (p, dir) => answers(probeHttps(p, '/readyz', ensurePki(dir))),
  },
  'kube-controller-manager': {
    port: 'controllerManager',
    what: (p) => `kube-controller-manager https://127.0.0.1:${p}/healthz`,
    check: (p) => answers(probeHttps(p, '/healthz')),
  },
  'kube-scheduler': {
    port: 'scheduler',
    what: (p) => `kube-scheduler https://127.0.0.1:${p}/healthz`,
    check: (p) => answers(probeHttps(p, '/healthz')),
  },
  kwok: { port: 'kwok', what: (p) => `kwok on port ${p}`, check: (p) => isPortOpen(p) },
  traffic: {
    port: 'traffic',
    what: (p) => `the traffic simulator http://127.0.0.1:${p}/healthz`,
    check: (p) => answers(probeHttp(p, '/healthz')),
  },
  prometheus: {
    port: 'prometheus',
    what: (p) => `Prometheus http://127.0.0.1:${p}/-/ready`,
    check: (p) => answers(probeHttp(p, '/-/ready')),
  },
};
const isKnown = (name: string): name is ComponentName => (COMPONENTS as readonly string[]).includes(name);

/** What a command did to one component. */
export interface ComponentChange {
  name: string;
  action: 'started' | 'already running' | 'restarted' | 'stopped' | 'killed' | 'already stopped' | 'already gone';
  /** The process that runs now (started, restarted) or the recorded one (stopped, gone). */
  pid: number;
  /** restarted: the process it replaced. */
  previousPid?: number;
  /** The component's port, unchanged by any of these commands. */
  port?: number;
  log: string;
  /** started, restarted, already running: milliseconds until it answered. */
  readyMs?: number;
}

/** Starts a component detached, its output appended to logs/<name>.log, and records who it is. */
export function spawnComponent(dir: string, name: string, command: string[]): ComponentRecord {
  const logFile = join(dir, 'logs', `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(command[0]!, command.slice(1), { detached: true, stdio: ['ignore', fd, fd], cwd: dir });
  child.unref();
  const pid = child.pid!;
  // Read before this process can reap it: until then even a child that already exited keeps its /proc entry.
  const startTime = processStartTime(pid);
  return { name, pid, ...(startTime !== undefined ? { startTime } : {}), log: logFile, command };
}

/** The cluster's record of a component; refuses an unknown cluster or component, listing the known ones. */
function recordOf(clusterName: string, component: string): { state: ClusterState; record: ComponentRecord } {
  const state = readState(clusterName);
  if (!state) throw new Error(`no cluster "${clusterName}" (nothing recorded in ${clusterDir(clusterName)})`);
  const record = state.components.find((c) => c.name === component);
  if (record) return { state, record };
  const has = state.components.map((c) => c.name).join(', ');
  if (isKnown(component))
    throw new Error(
      `cluster "${clusterName}" has no ${component} (its components: ${has}; --with-metrics adds traffic, prometheus)`,
    );
  throw new Error(`unknown component "${component}"; the components are ${COMPONENTS.join(', ')}`);
}

/** Writes one component's new record into the current state.json (another command may have changed it meanwhile). */
function saveRecord(clusterName: string, record: ComponentRecord): void {
  const state = readState(clusterName);
  if (!state) return;
  state.components = state.components.map((c) => (c.name === record.name ? record : c));
  writeState(state);
}

function change(state: ClusterState, record: ComponentRecord, action: ComponentChange['action']): ComponentChange {
  const port = isKnown(record.name) ? state.ports[READINESS[record.name].port] : undefined;
  return { name: record.name, action, pid: record.pid, ...(port !== undefined ? { port } : {}), log: record.log };
}

/** Waits until a component answers (see READINESS); fails naming its log when it exits or the time runs out. */
export async function waitUntilReady(state: ClusterState, record: ComponentRecord, deadline: number): Promise<void> {
  if (!isKnown(record.name)) return;
  const r = READINESS[record.name];
  const port = state.ports[r.port] ?? 0;
  const dir = clusterDir(state.name);
  const check = async () => isRecordedProcessRunning(record) && (await r.check(port, dir));
  await waitFor(
    r.what(port),
    deadline,
    check,
    [record],
    ` (${record.name} runs but does not answer; see ${record.log})`,
  );
}

/** Stops a component (SIGTERM, then SIGKILL after 10 s) and marks it stopped; its record and port stay. */
export async function stopComponent(clusterName: string, component: string): Promise<ComponentChange> {
  const { state, record } = recordOf(clusterName, component);
  if (record.stopped) return change(state, record, 'already stopped');
  const { stopped } = await endProcesses([record]);
  saveRecord(clusterName, { ...record, stopped: true });
  return change(state, record, stopped.length > 0 ? 'stopped' : 'already gone');
}

/** Ends a component with SIGKILL (a crash, not a shutdown): it is not marked stopped. For fault tests. */
export async function killComponent(clusterName: string, component: string): Promise<ComponentChange> {
  const { state, record } = recordOf(clusterName, component);
  if (record.stopped) return change(state, record, 'already stopped');
  const { stopped } = await endProcesses([record], { signal: 'SIGKILL' });
  return change(state, record, stopped.length > 0 ? 'killed' : 'already gone');
}

/**
 * Starts a stopped (or crashed) component again with its recorded command, so on the same port, and waits
 * until it answers (default: up to 120 s). One that runs already is only waited for.
 */
export async function startComponent(
  clusterName: string,
  component: string,
  opts: { timeoutSeconds?: number } = {},
): Promise<ComponentChange> {
  const { state, record } = recordOf(clusterName, component);
  const started = Date.now();
  const running = !record.stopped && isRecordedProcessRunning(record);
  const now = running ? record : spawnComponent(clusterDir(clusterName), component, record.command);
  if (!running) saveRecord(clusterName, now);
  await waitUntilReady(state, now, started + (opts.timeoutSeconds ?? 120) * 1000);
  return { ...change(state, now, running ? 'already running' : 'started'), readyMs: Date.now() - started };
}

/** Stops a component if it runs, starts it again on the same port and waits until it answers. */
export async function restartComponent(
  clusterName: string,
  component: string,
  opts: { timeoutSeconds?: number } = {},
): Promise<ComponentChange> {
  const stopped = await stopComponent(clusterName, component);
  const started = await startComponent(clusterName, component, opts);
  return { ...started, action: 'restarted', previousPid: stopped.pid };
}
