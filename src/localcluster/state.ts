/** Where a local cluster keeps its files, and the record of what it started. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ferryEnvironment } from '../config/environment.js';

export interface ComponentRecord {
  name: string;
  pid: number;
  /**
   * When the process started (field 22 of /proc/<pid>/stat, clock ticks after boot): with the PID, which
   * process it is, so a PID another process has taken since is never signalled (process-identity.ts).
   * Absent in records written before it was kept.
   */
  startTime?: number;
  log: string;
  /** Binary and arguments, so a component can be started again on the same ports (`cluster:start`). */
  command: string[];
  /** Stopped on purpose (`cluster:stop`): not running, and not a fault; `cluster:start` brings it back. */
  stopped?: boolean;
}

export interface ClusterState {
  name: string;
  kubeconfig: string;
  ports: Record<string, number>;
  components: ComponentRecord[];
  startedAt: string;
  readyMs?: number;
  /** With --with-metrics: where Prometheus answers. */
  prometheusUrl?: string;
}

/** FERRY_CLUSTERS_DIR, or clusters/ in Ferry's cache. */
export function clustersRoot(): string {
  return ferryEnvironment().clustersDir;
}

export const clusterDir = (name: string) => join(clustersRoot(), name);
const statePath = (name: string) => join(clusterDir(name), 'state.json');
export const kubeconfigPath = (name: string) => join(clusterDir(name), 'kubeconfig');

export function readState(name: string): ClusterState | undefined {
  const p = statePath(name);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as ClusterState) : undefined;
}

export function writeState(state: ClusterState): void {
  writeFileSync(statePath(state.name), `${JSON.stringify(state, null, 2)}\n`);
}

/** The process runs (an exited child its parent has not reaped yet, a zombie, does not). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true;
  }
}
