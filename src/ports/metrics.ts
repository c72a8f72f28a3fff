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
