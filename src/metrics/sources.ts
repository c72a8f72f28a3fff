/**
 * The metric sources of a controller: one WorkloadMetrics per distinct (Prometheus, provider) an
 * environment names in ferry.yaml, falling back to `ferry serve --prometheus-url` (or
 * FERRY_PROMETHEUS_URL) and the `pods` provider. Clients are kept, so each server is one client.
 */
import type { MetricsSourceConfig } from '../config/metrics-source.js';
import type { WorkloadMetrics } from '../ports/metrics.js';
import { PrometheusClient } from './prometheus.js';
import { workloadMetrics } from './workload-metrics.js';

export function metricSources(
  defaultUrl: string | undefined,
): (s: MetricsSourceConfig | undefined) => WorkloadMetrics | undefined {
  const clients = new Map<string, PrometheusClient>();
  const made = new Map<string, WorkloadMetrics>();
  return (s) => {
    const url = s?.prometheus ?? defaultUrl;
    if (!url) return undefined;
    const key = JSON.stringify([url, s?.provider ?? 'pods', s?.custom ?? null]);
    let m = made.get(key);
    if (!m) {
      let client = clients.get(url);
      if (!client) clients.set(url, (client = new PrometheusClient({ url })));
      m = workloadMetrics(client, s, url);
      made.set(key, m);
    }
    return m;
  };
}
