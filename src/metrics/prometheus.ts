/**
 * MetricsPort over Prometheus's HTTP API (`GET /api/v1/query`): a timeout per request, retries with
 * backoff on transient failures (connection refused or reset, timeouts, 5xx), never on a bad query.
 * A query must come to one number: a scalar, or a vector of at most one series (aggregate with sum(),
 * max(), histogram_quantile()…); an empty vector or NaN is "no data".
 */
import type {
  MetricsError,
  QueryRange,
  QueryResult,
  SampleSeries,
  SamplesPort,
  SamplesResult,
} from '../ports/metrics.js';

export interface PrometheusOptions {
  /** e.g. http://127.0.0.1:9090 */
  url: string;
  timeoutMs?: number;
  /** Attempts in all (default 3). */
  attempts?: number;
  /** Backoff before the n-th retry (default 200 ms × 2^(n-1)). */
  backoffMs?: (retry: number) => number;
}

interface ApiResponse {
  status?: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

type Answer = { data: ApiResponse['data'] } | { error: MetricsError };
type Attempt = { done: Answer } | { retry: MetricsError };

export class PrometheusClient implements SamplesPort {
  private readonly base: string;

  constructor(private readonly o: PrometheusOptions) {
    this.base = o.url.replace(/\/+$/, '');
  }

  async query(promql: string): Promise<QueryResult> {
    const a = await this.ask(promql);
    return 'error' in a ? { kind: 'error', error: a.error } : resultValue(a.data, promql);
  }

  /** `selector[Ns]` as an instant query: a matrix of every matching series' raw samples in the window. */
  async samples(selector: string, windowSeconds: number): Promise<SamplesResult> {
    const promql = `${selector}[${Math.max(1, Math.round(windowSeconds))}s]`;
    return matrixOf(await this.ask(promql), promql);
  }

  /** `GET /api/v1/query_range`: the query evaluated at every step of the range, one series per label set. */
  async range(promql: string, range: QueryRange): Promise<SamplesResult> {
    return matrixOf(await this.ask(promql, range), promql);
  }

  /** One question, with retries on transient failures: the answer's data, or the typed error. */
  private async ask(promql: string, range?: QueryRange): Promise<Answer> {
    const attempts = Math.max(1, this.o.attempts ?? 3);
    let last: MetricsError = { reason: 'unreachable', message: `cannot reach Prometheus at ${this.base}` };
    for (let i = 1; i <= attempts; i++) {
      const a = await this.once(promql, range);
      if ('done' in a) return a.done;
      last = a.retry;
      if (i < attempts) await new Promise((r) => setTimeout(r, (this.o.backoffMs ?? ((n) => 200 * 2 ** (n - 1)))(i)));
    }
    return { error: { ...last, message: `${last.message} (after ${attempts} attempt${attempts === 1 ? '' : 's'})` } };
  }

  private async once(promql: string, range?: QueryRange): Promise<Attempt> {
    const timeoutMs = this.o.timeoutMs ?? 5_000;
    const url = range
      ? `${this.base}/api/v1/query_range?query=${encodeURIComponent(promql)}&start=${range.startMs / 1000}` +
        `&end=${range.endMs / 1000}&step=${Math.max(1, Math.round(range.stepMs / 1000))}`
      : `${this.base}/api/v1/query?query=${encodeURIComponent(promql)}`;
    let res: Response;
    try {
      res = await fetch(url, {
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      if (err.name === 'TimeoutError')
        return {
          retry: { reason: 'timeout', message: `Prometheus at ${this.base} did not answer within ${timeoutMs} ms` },
        };
      return {
        retry: {
          reason: 'unreachable',
          message: `cannot reach Prometheus at ${this.base} (${err.cause?.code ?? err.message})`,
        },
      };
    }
    let body: ApiResponse;
    try {
      body = (await res.json()) as ApiResponse;
    } catch {
      body = {};
    }
    if (res.status >= 500 || res.status === 429)
      return {
        retry: {
          reason: 'server',
          message: `Prometheus at ${this.base} answered ${res.status}${body.error ? `: ${body.error}` : ''}`,
        },
      };
    if (body.status !== 'success')
      return {
        done: {
          error: {
            reason: 'bad-query',
            message:
              `Prometheus at ${this.base} refused the query ${JSON.stringify(promql)}: ` +
              `${body.error ?? `HTTP ${res.status}`}`,
          },
        },
      };
    return { done: { data: body.data } };
  }
}

const fail = (reason: MetricsError['reason'], message: string): { kind: 'error'; error: MetricsError } => ({
  kind: 'error',
  error: { reason, message },
});

/** A matrix answer's series (a range query, or an instant query of a range selector). */
function matrixOf(a: Answer, promql: string): SamplesResult {
  if ('error' in a) return { kind: 'error', error: a.error };
  if (a.data?.resultType !== 'matrix' || !Array.isArray(a.data.result))
    return fail(
      'ambiguous',
      `the query ${JSON.stringify(promql)} returned a ${a.data?.resultType} result, not a matrix`,
    );
  const series: SampleSeries[] = (a.data.result as { metric?: Record<string, string>; values?: unknown[] }[]).map(
    (r) => ({
      labels: r.metric ?? {},
      points: (r.values ?? []).flatMap((v) => {
        const ts = Array.isArray(v) ? Number(v[0]) : Number.NaN;
        const n = number(v);
        return Number.isFinite(ts) && n !== undefined ? [[Math.round(ts * 1000), n] as [number, number]] : [];
      }),
    }),
  );
  return series.length === 0 ? { kind: 'no-data' } : { kind: 'samples', series };
}

function number(sample: unknown): number | undefined {
  const v = Array.isArray(sample) ? sample[1] : undefined;
  if (typeof v !== 'string') return undefined;
  const n = Number(v);
  return Number.isNaN(n) ? undefined : n;
}

function resultValue(data: ApiResponse['data'], promql: string): QueryResult {
  if (data?.resultType === 'scalar') {
    const n = number(data.result);
    return n === undefined ? { kind: 'no-data' } : { kind: 'value', value: n };
  }
  if (data?.resultType === 'vector' && Array.isArray(data.result)) {
    if (data.result.length === 0) return { kind: 'no-data' };
    if (data.result.length > 1)
      return fail(
        'ambiguous',
        `the query ${JSON.stringify(promql)} returned ${data.result.length} series; ` +
          'aggregate it to one (sum(), max(), histogram_quantile()…)',
      );
    const n = number((data.result[0] as { value?: unknown }).value);
    return n === undefined ? { kind: 'no-data' } : { kind: 'value', value: n };
  }
  return fail(
    'ambiguous',
    `the query ${JSON.stringify(promql)} returned a ${data?.resultType ?? 'missing'} result; ` +
      'an instant query for one number is expected',
  );
}
