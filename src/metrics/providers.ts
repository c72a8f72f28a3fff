/**
 * The metric providers' series selectors: how each kind of cluster names a workload's requests, server
 * errors and latency histogram. `pods` reads the app's own metrics as kube-prometheus scrapes them
 * (`namespace` and `pod` target labels); `istio` reads the sidecars' standard metrics; `nginx-ingress`
 * the ingress controller's, which know Services, not pods; `custom` is the user's own templates.
 */
import type { CustomTemplates, MetricProvider, MetricsSourceConfig } from '../config/metrics-source.js';
import type { WorkloadRef } from '../ports/metrics.js';

export interface ProviderTemplates extends Required<CustomTemplates> {
  /** Whether two workloads behind one Service can be told apart. */
  separatesWorkloads: boolean;
}

const PODS: ProviderTemplates = {
  requests: 'http_requests_total{namespace="{{ namespace }}",pod=~"{{ pods }}"}',
  errors: 'http_requests_total{namespace="{{ namespace }}",pod=~"{{ pods }}",code=~"5.."}',
  latencyBuckets: 'http_request_duration_seconds_bucket{namespace="{{ namespace }}",pod=~"{{ pods }}"}',
  latencyUnit: 'seconds',
  separatesWorkloads: true,
};

const ISTIO_SELECTOR =
  'reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload="{{ workload }}"';
const ISTIO: ProviderTemplates = {
  requests: `istio_requests_total{${ISTIO_SELECTOR}}`,
  errors: `istio_requests_total{${ISTIO_SELECTOR},response_code=~"5.."}`,
  latencyBuckets: `istio_request_duration_milliseconds_bucket{${ISTIO_SELECTOR}}`,
  latencyUnit: 'milliseconds',
  separatesWorkloads: true,
};

const NGINX: ProviderTemplates = {
  requests: 'nginx_ingress_controller_requests{namespace="{{ namespace }}",service="{{ service }}"}',
  errors: 'nginx_ingress_controller_requests{namespace="{{ namespace }}",service="{{ service }}",status=~"5.."}',
  latencyBuckets:
    'nginx_ingress_controller_request_duration_seconds_bucket{namespace="{{ namespace }}",service="{{ service }}"}',
  latencyUnit: 'seconds',
  separatesWorkloads: false,
};

const BUILT_IN: Record<Exclude<MetricProvider, 'custom'>, ProviderTemplates> = {
  pods: PODS,
  istio: ISTIO,
  'nginx-ingress': NGINX,
};

/** The templates of a source's provider (`pods` when none is named). */
export function providerTemplates(source: MetricsSourceConfig | undefined): ProviderTemplates {
  const provider = source?.provider ?? 'pods';
  if (provider !== 'custom') return BUILT_IN[provider];
  const c = source?.custom;
  if (!c) throw new Error('metrics provider "custom" needs custom: {requests, errors, latencyBuckets}');
  return { ...c, latencyUnit: c.latencyUnit ?? 'seconds', separatesWorkloads: true };
}

/** A Deployment's pod names: `<name>-<pod-template-hash>-<suffix>` (so `web` never matches `web-canary-…`). */
export const podsRegex = (workload: string) => `${workload.replace(/[.]/g, '\\\\.')}-[a-z0-9]+-[a-z0-9]+`;

/** A template with a workload's placeholders filled in. */
export function fill(template: string, w: WorkloadRef): string {
  const values: Record<string, string> = {
    namespace: w.namespace,
    workload: w.workload,
    service: w.service,
    pods: podsRegex(w.workload),
  };
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, k: string) => values[k] ?? m);
}
