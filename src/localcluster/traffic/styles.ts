/**
 * The metric styles the traffic simulator speaks, each the series a real source would give Prometheus:
 * `pods` (the app's own `http_requests_total`, labelled by a PodMonitor-like scrape), `istio` (Istio's
 * standard metrics merged into each pod's /metrics) and `nginx-ingress` (one ingress-nginx controller
 * target seeing every flow). See docs/local-cluster.md, "Metric styles".
 */
import { InvalidArgumentError } from 'commander';

export const METRIC_STYLES = ['pods', 'istio', 'nginx-ingress'] as const;
export type MetricStyle = (typeof METRIC_STYLES)[number];

/** Where Prometheus scrapes the simulated ingress controller's metrics (on the simulator's port). */
export const INGRESS_PATH = '/metrics/ingress-nginx';

/** `pods,istio` → ['pods', 'istio']; an unknown or empty list is an error naming the styles there are. */
export function parseMetricStyles(list: string): MetricStyle[] {
  const words = list
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '');
  const unknown = words.filter((w) => !(METRIC_STYLES as readonly string[]).includes(w));
  if (unknown.length > 0 || words.length === 0)
    throw new Error(
      `metric styles "${list}": ${unknown.length > 0 ? `unknown ${unknown.join(', ')}` : 'none given'}; ` +
        `choose from ${METRIC_STYLES.join(', ')}`,
    );
  return METRIC_STYLES.filter((s) => words.includes(s));
}

/** The option parser of `--styles` and `--metric-styles`: the list as given, or commander's usage error. */
export function checkMetricStyles(list: string): string {
  try {
    parseMetricStyles(list);
    return list;
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}
