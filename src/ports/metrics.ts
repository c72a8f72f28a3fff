/**
 * A metrics server as canary analysis and latency objectives see it: one instant query, answered with a
 * value, with "no data" (which is not 0: nothing was measured), or with a typed error. Implemented by
 * src/metrics/prometheus.ts over Prometheus's HTTP API.
 */

export type MetricsErrorReason = 'unreachable' | 'timeout' | 'bad-query' | 'server' | 'ambiguous';

export interface MetricsError {
  reason: MetricsErrorReason;
  /** Says what failed and where (the server's address, the query). */
  message: string;
}

export type QueryResult =
  | { kind: 'value'; value: number }
  /** The query matched no series, or its value is NaN (e.g. a ratio of zero requests). */
  | { kind: 'no-data' }
  | { kind: 'error'; error: MetricsError };

export interface MetricsPort {
  /** An instant query evaluated now; never throws. */
  query(promql: string): Promise<QueryResult>;
}

/** One series of raw samples: its labels and its points (milliseconds since the epoch, value). */
export interface SampleSeries {
  labels: Record<string, string>;
  points: [number, number][];
}

export type SamplesResult =
  | { kind: 'samples'; series: SampleSeries[] }
  | { kind: 'no-data' }
  | { kind: 'error'; error: MetricsError };

/** A time range and the time between its points, ms. */
export interface QueryRange {
  startMs: number;
  endMs: number;
  stepMs: number;
}

/** A metrics server that can also return the raw samples of a selector over a window. */
export interface SamplesPort extends MetricsPort {
  /** `selector[windowSeconds s]` evaluated now: every matching series with its samples; never throws. */
  samples(selector: string, windowSeconds: number): Promise<SamplesResult>;
  /** The query evaluated at every step of a range (Prometheus `query_range`); never throws. */
  range?(promql: string, range: QueryRange): Promise<SamplesResult>;
}

/** The metrics a workload's history is read for (`WorkloadMetrics.history`). */
export type WorkloadMetric = 'latency' | 'successRate' | 'requestRate';

/**
 * A workload as a metrics provider finds it: its namespace, its name (the Deployment: `web`,
 * `web-canary`) and the Service its requests come through.
 */
export interface WorkloadRef {
  namespace: string;
  workload: string;
  service: string;
}

/** How much data a window holds for a workload: requests counted, and the time its samples span. */
export interface Evidence {
  requests: number;
  /** Earliest and latest sample in the window, ms since the epoch (equal with one scrape). */
  firstMs: number;
  lastMs: number;
  /** The time between a series' consecutive samples (the scrape interval); undefined with single samples. */
  scrapeMs?: number;
}

export type EvidenceResult = { kind: 'evidence'; evidence: Evidence } | Exclude<QueryResult, { kind: 'value' }>;

/**
 * A latency quantile read from the histogram's buckets following the tail within the bucket (`value`, ms),
 * beside the linear read `histogram_quantile` gives (`linear`, ms): src/metrics/histogram.ts.
 */
export type TailLatencyResult =
  | { kind: 'value'; value: number; linear: number }
  | Exclude<QueryResult, { kind: 'value' }>;

/**
 * A workload's request metrics, whatever the cluster's metric labels are: a trait asks for "the
 * canary's success rate" and the provider (pods, istio, nginx-ingress, custom) owns the query.
 * Implemented by src/metrics/workload-metrics.ts.
 */
export interface WorkloadMetrics {
  /** `pods provider at http://…`, for messages. */
  readonly name: string;
  /**
   * Whether two workloads behind one Service can be told apart (by pod or workload label); a provider
   * that sees only Services (nginx-ingress) needs each workload behind its own Service.
   */
  readonly separatesWorkloads: boolean;
  /** Requests and sample span over the last `windowSeconds`. */
  evidence(w: WorkloadRef, windowSeconds: number): Promise<EvidenceResult>;
  /** Requests per second over the window, all pods of the workload together. */
  requestRate(w: WorkloadRef, windowSeconds: number): Promise<QueryResult>;
  /** Share of requests not answered 5xx, in %. */
  successRate(w: WorkloadRef, windowSeconds: number): Promise<QueryResult>;
  /** The `quantile` (0–1) of request latency, in milliseconds. */
  latency(w: WorkloadRef, windowSeconds: number, quantile: number): Promise<QueryResult>;
  /**
   * The same quantile read from the window's buckets themselves, following the tail within a bucket (closer
   * to the truth than `histogram_quantile` where buckets are coarse), with the linear read beside it.
   */
  latencyTail(w: WorkloadRef, windowSeconds: number, quantile: number): Promise<TailLatencyResult>;
  /** A query of the user's own (a custom metric), on the same server. */
  query(promql: string): Promise<QueryResult>;
  /**
   * One of the metrics above over a time range, a point per step (each over `windowSeconds` before it), for
   * charts; the latency quantile `quantile` (0–1) in ms. Absent where the server answers no range query.
   */
  history?(
    metric: WorkloadMetric,
    w: WorkloadRef,
    o: { windowSeconds: number; quantile?: number; range: QueryRange },
  ): Promise<SamplesResult>;
}
