/**
 * A real local control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and KWOK with fake nodes, started as detached processes whose PIDs and start times
 * are recorded so `stopCluster` (another process, later) can end exactly them. One component at a
 * time: components.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLUSTER_DEFAULTS } from '../config/defaults.js';
import { spawnComponent, startComponent } from './components.js';
import { kwokStages } from './kwok-stages.js';
import {
  installGatewayCrds,
  prometheusConfig,
  rigTools,
  trafficArgs,
  trafficSettings,
  type TrafficSettings,
} from './metrics-rig.js';
import { ensurePki, type Pki } from './pki.js';
import { PortRegistry, withReservedPorts } from './ports.js';
import { probeHttp, probeHttps, waitFor } from './probes.js';
import { endProcesses, isRecordedProcessRunning } from './process-identity.js';
import type { MetricStyle } from './traffic/styles.js';
import { clusterDir, kubeconfigPath, readState, writeState, type ClusterState, type ComponentRecord } from './state.js';

export { killComponent, restartComponent, startComponent, stopComponent } from './components.js';

/** The repository root, from src/localcluster (tests) or dist/src/localcluster. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'scripts', 'build-kube.mjs'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('scripts/build-kube.mjs not found above the Ferry installation');
    dir = up;
  }
  return dir;
}

export interface UpOptions {
  name: string;
  /** Fake nodes to create (default CLUSTER_DEFAULTS.nodes). */
  nodes?: number;
  /** Pods whose image ends with this never become Ready (default ":bad"). */
  neverReadySuffix?: string;
  log?: (line: string) => void;
  /** Seconds to wait for readiness (default CLUSTER_DEFAULTS.readySeconds: a first start on 2 loaded cores is slow). */
  timeoutSeconds?: number;
  /**
   * kube-controller-manager controllers to leave off, e.g. "horizontal-pod-autoscaler-controller":
   * there is no metrics API here, so that one can only mark every HPA `ScalingActive=False`.
   */
  disableControllers?: string[];
  /** Also start Prometheus and the traffic simulator (`cluster:up --with-metrics`). */
  withMetrics?: boolean;
  /** The traffic simulator's random seed (default 1). */
  trafficSeed?: number;
  /** The metric styles the traffic simulator exposes (default CLUSTER_DEFAULTS.metricStyles: all three). */
  metricStyles?: readonly MetricStyle[];
  /** Where ports are reserved (default: the machine-wide registry; tests give their own). */
  ports?: PortRegistry;
}

/** The ports of a cluster's control plane, and of its metrics rig. */
const CONTROL_PLANE_PORTS = ['etcd', 'etcdPeer', 'apiserver', 'controllerManager', 'scheduler', 'kwok'] as const;
const METRICS_PORTS = ['traffic', 'prometheus'] as const;

/** Builds the binaries if needed (cached by version) and returns their folder. */
function kubeBinaries(): string {
  const script = join(repoRoot(), 'scripts', 'build-kube.mjs');
  // The folder is the script's last stdout line (a build's own output may come before it); the
  // script's progress goes to our stderr, never to our stdout.
  const out = execFileSync(process.execPath, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop()!.trim();
}

function kubeconfig(pki: Pki, port: number, name: string): string {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  return kubeconfigYaml(name, port, { ca: b64(pki.caCert), cert: b64(pki.adminCert), key: b64(pki.adminKey) });
}

/** The kubeconfig `cluster:up` writes: one cluster, its admin user and a context, all named `name`; data in base64. */
export function kubeconfigYaml(name: string, port: number, data: { ca: string; cert: string; key: string }): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster:
    server: https://127.0.0.1:${port}
    certificate-authority-data: ${data.ca}
users:
- name: ${name}-admin
  user:
    client-certificate-data: ${data.cert}
    client-key-data: ${data.key}
contexts:
- name: ${name}
  context:
    cluster: ${name}
    user: ${name}-admin
    namespace: default
current-context: ${name}
`;
}

/**
 * Starts a cluster (or reuses a running one). Its ports are reserved until it is up; a component that
 * exits at start because another process took its port has the whole start retried on other ports.
 */
export async function startCluster(opts: UpOptions): Promise<ClusterState> {
  const log = opts.log ?? (() => {});
  const registry = opts.ports ?? new PortRegistry();
  const existing = readState(opts.name);
  if (existing?.components.every((c) => c.stopped || isRecordedProcessRunning(c)))
    return reuseCluster(opts, registry, log);
  if (existing) await stopCluster(opts.name);
  const started = Date.now();
  const bin = kubeBinaries();
  const tools = rigTools(repoRoot(), opts.withMetrics ?? false);
  const start = (ports: Record<(typeof CONTROL_PLANE_PORTS)[number], number>) =>
    startOnce(opts, { started, bin, tools, ports, registry });
  return withReservedPorts(registry, CONTROL_PLANE_PORTS, start, { log });
}

/**
 * A cluster whose components all run, or were stopped on purpose (`cluster:stop`): those are started
 * again on their ports, and with --with-metrics the metrics rig is added if it is missing.
 */
async function reuseCluster(
  opts: UpOptions,
  registry: PortRegistry,
  log: (line: string) => void,
): Promise<ClusterState> {
  log(`cluster "${opts.name}" is already running`);
  for (const c of readState(opts.name)!.components.filter((c) => c.stopped)) {
    const started = await startComponent(opts.name, c.name);
    log(`started ${c.name} again (pid ${started.pid}; it had been stopped with cluster:stop)`);
  }
  const state = readState(opts.name)!;
  if (opts.withMetrics && !state.prometheusUrl) {
    await startMetrics(
      state,
      clusterDir(opts.name),
      rigTools(repoRoot(), true).prometheus!,
      trafficSettings(opts),
      Date.now() + 120_000,
      registry,
      log,
    );
  }
  return state;
}

/** One start on the given ports; on failure its components are stopped (a port conflict is then retried). */
async function startOnce(
  opts: UpOptions,
  prepared: {
    started: number;
    bin: string;
    tools: ReturnType<typeof rigTools>;
    ports: Record<(typeof CONTROL_PLANE_PORTS)[number], number>;
    registry: PortRegistry;
  },
): Promise<ClusterState> {
  const log = opts.log ?? (() => {});
  const { started, bin, tools, ports, registry } = prepared;
  const dir = clusterDir(opts.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const pki = ensurePki(dir);
  const kc = kubeconfigPath(opts.name);
  writeFileSync(kc, kubeconfig(pki, ports.apiserver, opts.name), { mode: 0o600 });
  writeFileSync(join(dir, 'kwok-stages.yaml'), kwokStages(opts.neverReadySuffix ?? CLUSTER_DEFAULTS.neverReadySuffix));
  const components: ComponentRecord[] = [];
  const state: ClusterState = {
    name: opts.name,
    kubeconfig: kc,
    ports: { ...ports },
    components,
    startedAt: new Date(started).toISOString(),
  };
  const run = (name: string, args: string[]) => {
    components.push(spawnComponent(dir, name, [join(bin, name), ...args]));
    writeState(state);
  };
  const deadline = started + (opts.timeoutSeconds ?? CLUSTER_DEFAULTS.readySeconds) * 1000;
  try {
    run('etcd', [
      '--name=ferry',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${ports.etcd}`,
      `--advertise-client-urls=http://127.0.0.1:${ports.etcd}`,
      `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-cluster=ferry=http://127.0.0.1:${ports.etcdPeer}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
      '--quota-backend-bytes=4294967296',
    ]);
    run('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${ports.apiserver}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountKey}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      '--v=1',
    ]);
    await waitFor(
      'kube-apiserver /readyz',
      deadline,
      async () => (await probeHttps(ports.apiserver, '/readyz', pki)) === 200,
      components,
    );
    const common = [
      `--kubeconfig=${kc}`,
      '--bind-address=127.0.0.1',
      '--leader-elect=false',
      '--profiling=false',
      `--authentication-kubeconfig=${kc}`,
      `--authorization-kubeconfig=${kc}`,
    ];
    const off = ['node-ipam-controller', ...(opts.disableControllers ?? [])];
    run('kube-controller-manager', [
      ...common,
      `--secure-port=${ports.controllerManager}`,
      `--root-ca-file=${pki.caCert}`,
      `--service-account-private-key-file=${pki.serviceAccountKey}`,
      '--use-service-account-credentials=false',
      `--controllers=${['*', ...off.map((c) => `-${c}`)].join(',')}`,
      '--node-monitor-grace-period=2m',
      '--v=1',
      // Thousands of Deployments (bench:gitops) roll out in seconds, not at the default 20 requests/s.
      '--kube-api-qps=200',
      '--kube-api-burst=400',
      '--concurrent-deployment-syncs=10',
      '--concurrent-replicaset-syncs=10',
      // PersistentVolumeClaims bind (StorageClass "standard", see nodes.ts).
      '--enable-hostpath-provisioner=true',
    ]);
    run('kube-scheduler', [...common, `--secure-port=${ports.scheduler}`, '--v=1']);
    run('kwok', [
      `--kubeconfig=${kc}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--node-ip=127.0.0.1',
      '--cidr=127.100.0.1/16',
      `--server-address=127.0.0.1:${ports.kwok}`,
      `--config=${join(dir, 'kwok-stages.yaml')}`,
    ]);
    await waitFor(
      'kube-controller-manager /healthz',
      deadline,
      async () => (await probeHttps(ports.controllerManager, '/healthz')) === 200,
      components,
    );
    await waitFor(
      'kube-scheduler /healthz',
      deadline,
      async () => (await probeHttps(ports.scheduler, '/healthz')) === 200,
      components,
    );
    const { prepareNodes } = await import('./nodes.js');
    await prepareNodes(kc, opts.nodes ?? CLUSTER_DEFAULTS.nodes, deadline);
    await installGatewayCrds(kc, tools.gatewayCrds, deadline);
    if (opts.withMetrics) {
      await startMetrics(state, dir, tools.prometheus!, trafficSettings(opts), deadline, registry, log);
    }
    state.readyMs = Date.now() - started;
    writeState(state);
    log(`cluster "${opts.name}" ready in ${(state.readyMs / 1000).toFixed(1)} s; KUBECONFIG=${kc}`);
    return state;
  } catch (e) {
    await stopCluster(opts.name, { keepFiles: true });
    throw e;
  }
}

/**
 * Starts the traffic simulator and Prometheus as components of the cluster, and waits until both answer; a
 * port conflict stops the two and starts them again on other ports.
 */
async function startMetrics(
  state: ClusterState,
  dir: string,
  prometheus: string,
  traffic: TrafficSettings,
  deadline: number,
  registry: PortRegistry,
  log: (line: string) => void,
): Promise<void> {
  const main = join(repoRoot(), 'dist', 'src', 'localcluster', 'traffic', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build:ts`);
  await withReservedPorts(
    registry,
    METRICS_PORTS,
    async (ports) => {
      try {
        await startMetricsOnce(state, dir, { prometheus, main, traffic, deadline, ports });
      } catch (e) {
        await stopComponents(state, METRICS_PORTS);
        throw e;
      }
    },
    { log },
  );
}

async function startMetricsOnce(
  state: ClusterState,
  dir: string,
  o: {
    prometheus: string;
    main: string;
    traffic: TrafficSettings;
    deadline: number;
    ports: Record<'traffic' | 'prometheus', number>;
  },
): Promise<void> {
  const { prometheus, main, traffic, deadline } = o;
  state.ports.traffic = o.ports.traffic;
  state.ports.prometheus = o.ports.prometheus;
  const p = prometheusConfig(dir, state.ports.traffic, traffic.styles);
  state.components.push(
    spawnComponent(dir, 'traffic', [
      process.execPath,
      main,
      `--kubeconfig=${state.kubeconfig}`,
      `--port=${state.ports.traffic}`,
      `--targets=${p.targets}`,
      ...trafficArgs(traffic),
    ]),
  );
  writeState(state);
  state.components.push(
    spawnComponent(dir, 'prometheus', [
      prometheus,
      `--config.file=${p.config}`,
      `--storage.tsdb.path=${p.data}`,
      `--web.listen-address=127.0.0.1:${state.ports.prometheus}`,
      '--storage.tsdb.retention.time=1d',
      '--log.level=warn',
    ]),
  );
  state.prometheusUrl = `http://127.0.0.1:${state.ports.prometheus}`;
  writeState(state);
  await waitFor(
    'the traffic simulator',
    deadline,
    async () => (await probeHttp(state.ports.traffic!, '/healthz')) === 200,
    state.components,
  );
  await waitFor(
    'Prometheus /-/ready',
    deadline,
    async () => (await probeHttp(state.ports.prometheus!, '/-/ready')) === 200,
    state.components,
  );
}

/** Ends some of a running cluster's components (TERM, then KILL) and forgets them. */
async function stopComponents(state: ClusterState, names: readonly string[]): Promise<void> {
  await endProcesses(state.components.filter((c) => names.includes(c.name) && !c.stopped));
  state.components = state.components.filter((c) => !names.includes(c.name));
  delete state.prometheusUrl;
  writeState(state);
}

/** A component as `stopCluster` found it: ended by it, stopped before (`cluster:stop`), or already gone. */
export type StoppedComponent = ComponentRecord & { outcome: 'stopped' | 'already stopped' | 'already gone' };

/**
 * Ends every recorded process that still is the one recorded (TERM, then KILL after 10 s) and removes the
 * cluster's files. A PID that has exited, or that another process has taken since, is never signalled:
 * that component is reported `already gone`.
 */
export async function stopCluster(name: string, opts: { keepFiles?: boolean } = {}): Promise<StoppedComponent[]> {
  const state = readState(name);
  if (!state) return [];
  const { stopped } = await endProcesses([...state.components].reverse().filter((c) => !c.stopped));
  if (!opts.keepFiles) rmSync(clusterDir(name), { recursive: true, force: true });
  return state.components.map((c) => ({
    ...c,
    outcome: c.stopped ? 'already stopped' : stopped.includes(c) ? 'stopped' : 'already gone',
  }));
}
