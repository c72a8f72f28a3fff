/**
 * The local cluster's metrics rig: the Gateway API CRDs (always installed), and with `--with-metrics`
 * a real Prometheus scraping the traffic simulator's per-pod targets and its ingress controller every
 * second. Downloads are pinned and cached by scripts/build-metrics.mjs; this file turns them into
 * running parts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KubeCluster } from '../kube/kube-cluster.js';
import type { KubeObject } from '../objects/objects.js';
import { CLUSTER_DEFAULTS } from '../config/defaults.js';
import { INGRESS_PATH, parseMetricStyles, type MetricStyle } from './traffic/styles.js';

/** How the traffic simulator runs: its random seed and the metric styles it exposes. */
export interface TrafficSettings {
  seed: number;
  styles: readonly MetricStyle[];
}

/** The simulator's settings from `cluster:up`'s options, defaults filled in. */
export function trafficSettings(o: { trafficSeed?: number; metricStyles?: readonly MetricStyle[] }): TrafficSettings {
  return {
    seed: o.trafficSeed ?? CLUSTER_DEFAULTS.trafficSeed,
    styles: o.metricStyles ?? parseMetricStyles(CLUSTER_DEFAULTS.metricStyles),
  };
}

/** The simulator's arguments for these settings. */
export const trafficArgs = (t: TrafficSettings) => [`--seed=${t.seed}`, `--styles=${t.styles.join(',')}`];

export interface RigTools {
  prometheus?: string;
  gatewayCrds: string;
}

/** Downloads what is missing (cached by version) and returns where it is. */
export function rigTools(root: string, withPrometheus: boolean): RigTools {
  const out = execFileSync(
    process.execPath,
    [join(root, 'scripts', 'build-metrics.mjs'), withPrometheus ? 'all' : 'crds'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as RigTools;
}

/** Creates or updates the Gateway API CRDs and waits until the API server serves them. */
export async function installGatewayCrds(kubeconfig: string, folder: string, deadline: number): Promise<void> {
  const cluster = KubeCluster.fromFile(kubeconfig);
  try {
    const crds: KubeObject[] = [];
    for (const f of readdirSync(folder)
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      for (const d of parseAllDocuments(readFileSync(join(folder, f), 'utf8'))) {
        const o = d.toJS() as KubeObject | null;
        if (o?.kind === 'CustomResourceDefinition') crds.push(o);
      }
    }
    for (const crd of crds) await cluster.apply(crd, { force: true });
    for (const crd of crds) {
      const ref = { apiVersion: crd.apiVersion, kind: crd.kind, name: crd.metadata.name };
      for (;;) {
        const live = (await cluster.get(ref)) as
          | { status?: { conditions?: { type: string; status: string }[] } }
          | undefined;
        if (live?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
        if (Date.now() > deadline) throw new Error(`timed out waiting for CRD ${crd.metadata.name} to be established`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    await cluster.close();
  }
}

/**
 * Writes prometheus.yml: a 1 s scrape of the simulator's file_sd pod targets, of the simulator itself and,
 * with the `nginx-ingress` style, of its ingress controller (job `ingress-nginx`).
 */
export function prometheusConfig(
  dir: string,
  simulatorPort: number,
  styles: readonly MetricStyle[],
): { config: string; targets: string; data: string } {
  const base = join(dir, 'prometheus');
  const targets = join(base, 'targets', 'pods.json');
  mkdirSync(join(base, 'targets'), { recursive: true });
  writeFileSync(targets, '[]\n');
  const config = join(base, 'prometheus.yml');
  writeFileSync(
    config,
    `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: pods
    honor_labels: true
    file_sd_configs:
      - files: ['${join(base, 'targets')}/*.json']
        refresh_interval: 1s
  - job_name: traffic-simulator
    static_configs:
      - targets: ['127.0.0.1:${simulatorPort}']
${styles.includes('nginx-ingress') ? ingressJob(simulatorPort) : ''}`,
  );
  return { config, targets, data: join(base, 'data') };
}

const ingressJob = (port: number) => `  - job_name: ingress-nginx
    metrics_path: ${INGRESS_PATH}
    static_configs:
      - targets: ['127.0.0.1:${port}']
`;
