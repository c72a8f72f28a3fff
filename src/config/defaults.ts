/**
 * The default of every command-line flag (of `ferry`, `npm run cluster:up`, the traffic simulator), in one place.
 * The commands register these as their flags' defaults (so `--help` shows them) and fall back to the same
 * values when called from code; docs/cli.md shows them. Durations are written as the flags take them.
 */

/** `ferry render|diff|status|history|rollout status -o`. */
export const OUTPUT_DEFAULTS = {
  render: 'yaml',
  diff: 'text',
  status: 'table',
  history: 'table',
  rolloutStatus: 'table',
  slo: 'table',
  releases: 'table',
} as const;

/** `ferry apply`. */
export const APPLY_DEFAULTS = {
  /** Bounds `--wait` and dependsOn waits. */
  timeout: '5m',
} as const;

/** `ferry serve`. */
export const SERVE_DEFAULTS = {
  path: '.',
  interval: '60s',
  resync: '10m',
  port: 8080,
  verifyTimeout: '2m',
  leaseDuration: '15s',
  concurrency: 8,
  /** The largest `--concurrency` accepted. */
  maxConcurrency: 256,
  canaryReadyTimeout: '2m',
  /** `--git-secret name` without a namespace. */
  gitSecretNamespace: 'ferry-system',
} as const;

/** `npm run cluster:up` (src/localcluster). */
export const CLUSTER_DEFAULTS = {
  name: 'ferry',
  nodes: 2,
  neverReadySuffix: ':bad',
  trafficSeed: 1,
  /** The traffic simulator's metric styles (`--metric-styles`, passed on as its `--styles`). */
  metricStyles: 'pods,istio,nginx-ingress',
  /** How long a start may take before it is given up (a first start on a loaded 2-core machine is slow). */
  readySeconds: 180,
} as const;

/** The traffic simulator process (src/localcluster/traffic/main.ts) that `cluster:up --with-metrics` starts. */
export const TRAFFIC_DEFAULTS = {
  seed: 1,
  /** How often requests are sent. */
  tickMs: 100,
  /** The metric styles exposed: the series of pods (PodMonitor-like), Istio and ingress-nginx. */
  styles: 'pods,istio,nginx-ingress',
} as const;
