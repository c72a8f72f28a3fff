/**
 * `cluster:status`: which of a local cluster's components run, which were stopped on purpose
 * (`cluster:stop`) and which died, and whether its API server is ready.
 */
import { ensurePki } from './pki.js';
import { probeHttps } from './probes.js';
import { isRecordedProcessRunning } from './process-identity.js';
import { clusterDir, readState, type ComponentRecord } from './state.js';

export interface ComponentStatus extends ComponentRecord {
  /** Its recorded process runs (the PID is still that process, see process-identity.ts). */
  alive: boolean;
  /** `stopped`: on purpose, by `cluster:stop`; `dead`: it exited (or was killed) without that. */
  status: 'running' | 'stopped' | 'dead';
}

export interface ClusterStatus {
  name: string;
  /** Every component runs but those stopped on purpose (listed in `stopped`). */
  running: boolean;
  /** Running, and the API server answers /readyz. */
  ready: boolean;
  /** Components stopped with `cluster:stop` (`cluster:start` brings them back). */
  stopped: string[];
  kubeconfig?: string;
  prometheusUrl?: string;
  components: ComponentStatus[];
}

const statusOf = (c: ComponentRecord, alive: boolean): ComponentStatus['status'] =>
  c.stopped ? 'stopped' : alive ? 'running' : 'dead';

export async function clusterStatus(name: string): Promise<ClusterStatus> {
  const state = readState(name);
  if (!state) return { name, running: false, ready: false, stopped: [], components: [] };
  const components = state.components.map((c) => {
    const alive = !c.stopped && isRecordedProcessRunning(c);
    return { ...c, alive, status: statusOf(c, alive) };
  });
  const running = components.some((c) => c.alive) && components.every((c) => c.status !== 'dead');
  const apiserver = state.ports.apiserver ?? 0;
  const ready = running && (await probeHttps(apiserver, '/readyz', ensurePki(clusterDir(name)))) === 200;
  return {
    name,
    running,
    ready,
    stopped: components.filter((c) => c.stopped).map((c) => c.name),
    kubeconfig: state.kubeconfig,
    ...(state.prometheusUrl ? { prometheusUrl: state.prometheusUrl } : {}),
    components,
  };
}
