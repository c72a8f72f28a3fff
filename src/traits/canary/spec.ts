/**
 * The `canary` trait's properties, checked and typed. Parameter names follow Argo Rollouts
 * (`steps`, `setWeight` as `weight`, `pause`, `analysis`) and Flagger (`interval`, `failureLimit` as
 * its `threshold`, built-in `success-rate` and `latency` metrics).
 *
 * The checks say what definitions/traits/canary.cue says (test/integration/runtime-traits.test.ts holds
 * them to it): each problem carries the path of the property inside `properties`, which the render
 * pipeline locates in the app file.
 */
import { formatPropertyPath, type ParseResult, type PropertyProblem } from '../../oam/render/runtime-traits.js';
import { parseDurationMs } from '../../util/duration.js';

export interface MetricSpec {
  name: string;
  /** Built-in (success-rate, latency, latency-p95, latency-p50) or custom (query). */
  query?: string;
  min?: number;
  /** For latency, in milliseconds. */
  max?: number;
  /** Built-in latency: the most the canary may exceed the stable pods over the same window, in %. */
  maxIncrease?: number;
  /** success-rate: the most the canary may fall below the stable pods over the same window, in points. */
  maxDecrease?: number;
  /** A latency metric's quantile when its name is not a built-in one (from a declared objective). */
  quantile?: number;
  /**
   * Read the latency from the buckets following the tail within a bucket, as a declared objective is
   * measured (WorkloadMetrics.latencyTail), rather than as `histogram_quantile` reads it.
   */
  tail?: boolean;
}

export interface AnalysisSpec {
  intervalMs: number;
  failureLimit: number;
  metrics: MetricSpec[];
  /** Requests the canary must have served in the window before a run may pass (a quarter of it to fail). */
  minRequests: number;
  /** The share of the window (since the canary's pods became ready) its samples must cover to pass, %. */
  minCoverage: number;
}

export type StepSpec = { weight: number } | { pause: { durationMs?: number } };

export interface CanarySpec {
  component: string;
  steps: StepSpec[];
  analysis: AnalysisSpec;
  trafficRouting: { gateway?: { httpRoute: string } };
}

export const BUILTIN_METRICS = ['success-rate', 'latency', 'latency-p99', 'latency-p95', 'latency-p50'] as const;

/** When `steps` is not given: 20 %, 30 s, 50 %, 30 s. */
const DEFAULT_STEPS: StepSpec[] = [
  { weight: 20 },
  { pause: { durationMs: 30_000 } },
  { weight: 50 },
  { pause: { durationMs: 30_000 } },
];
const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_MIN_REQUESTS = 20;
export const DEFAULT_MIN_COVERAGE = 80;

type Path = PropertyProblem['path'];
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Checks one component's `canary` properties; every problem has the path of the property at fault. */
export function parseCanary(props: unknown, component: string): ParseResult<CanarySpec> {
  const problems: PropertyProblem[] = [];
  const at = (path: Path, message: string) => void problems.push({ path, message });
  // A trait without properties (`properties:` left empty) renders as {}.
  if (props !== undefined && props !== null && !isObj(props))
    at([], `a map of steps, analysis and trafficRouting, not ${show(props)}`);
  const p: Obj = isObj(props) ? props : {};
  const steps = p.steps === undefined ? DEFAULT_STEPS : parseSteps(p.steps, at);
  const analysis = parseAnalysis(p.analysis, at);
  const trafficRouting = parseTrafficRouting(p.trafficRouting, at);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { component, steps: steps!, analysis: analysis!, trafficRouting: trafficRouting! } };
}

type At = (path: Path, message: string) => void;

function parseSteps(raw: unknown, at: At): StepSpec[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    at(['steps'], 'a non-empty list of {weight: n} or {pause: {duration?}}');
    return undefined;
  }
  const steps: StepSpec[] = [];
  let bad = false;
  raw.forEach((s, i) => {
    const step = parseStep(s, ['steps', i], at);
    if (step) steps.push(step);
    else bad = true;
  });
  // Only when every step is understood: a bad weight step would make this one wrong.
  if (!bad && !steps.some((s) => 'weight' in s)) at(['steps'], 'at least one weight step');
  return bad ? undefined : steps;
}

function parseStep(s: unknown, path: Path, at: At): StepSpec | undefined {
  const keys = isObj(s) ? Object.keys(s) : [];
  if (!isObj(s) || keys.length !== 1 || (keys[0] !== 'weight' && keys[0] !== 'pause')) {
    at(path, `one of {weight: n} or {pause: {duration?}}, not ${show(s)}`);
    return undefined;
  }
  if ('weight' in s) {
    const w = s.weight;
    if (isInt(w) && w >= 1 && w <= 99) return { weight: w };
    at([...path, 'weight'], `an integer from 1 to 99 (100 is the promotion after the last step), not ${show(w)}`);
    return undefined;
  }
  // `pause:` with nothing after it is null in YAML: a pause without duration.
  const pause = s.pause === null ? {} : s.pause;
  if (!isObj(pause)) {
    at([...path, 'pause'], `{} or {duration: "1m"}, not ${show(pause)}`);
    return undefined;
  }
  const extra = Object.keys(pause).filter((k) => k !== 'duration');
  if (extra.length > 0) {
    for (const k of extra) at([...path, 'pause', k], 'unknown field: a pause has only a duration');
    return undefined;
  }
  if (pause.duration === undefined) return { pause: {} };
  const ms = parseDurationMs(pause.duration);
  if (ms !== undefined) return { pause: { durationMs: ms } };
  at([...path, 'pause', 'duration'], `a duration such as "30s" or "5m", not ${show(pause.duration)}`);
  return undefined;
}

/** A percentage: a number, or a string such as "20%". */
function percent(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(\.\d+)?)%$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

function parseAnalysis(raw: unknown, at: At): CanarySpec['analysis'] | undefined {
  const defaults = { minRequests: DEFAULT_MIN_REQUESTS, minCoverage: DEFAULT_MIN_COVERAGE };
  if (raw === undefined) return { intervalMs: DEFAULT_INTERVAL_MS, failureLimit: 1, metrics: [], ...defaults };
  if (!isObj(raw)) {
    at(['analysis'], `a map of interval, failureLimit, minRequests, minCoverage and metrics, not ${show(raw)}`);
    return undefined;
  }
  let ok = true;
  const intervalMs = raw.interval === undefined ? DEFAULT_INTERVAL_MS : parseDurationMs(raw.interval);
  if (intervalMs === undefined || intervalMs < 1000) {
    at(['analysis', 'interval'], `a duration of at least 1s, not ${show(raw.interval)}`);
    ok = false;
  }
  const failureLimit = raw.failureLimit ?? 1;
  if (!isInt(failureLimit) || failureLimit < 1) {
    at(['analysis', 'failureLimit'], `an integer ≥ 1, not ${show(failureLimit)}`);
    ok = false;
  }
  const minRequests = raw.minRequests ?? DEFAULT_MIN_REQUESTS;
  if (!isInt(minRequests) || minRequests < 1) {
    at(['analysis', 'minRequests'], `an integer ≥ 1, not ${show(minRequests)}`);
    ok = false;
  }
  const minCoverage = raw.minCoverage === undefined ? DEFAULT_MIN_COVERAGE : percent(raw.minCoverage);
  if (minCoverage === undefined || minCoverage < 0 || minCoverage > 100) {
    at(['analysis', 'minCoverage'], `a share of the window from 0 to 100 (or "80%"), not ${show(raw.minCoverage)}`);
    ok = false;
  }
  const metrics: MetricSpec[] = [];
  const rawMetrics = raw.metrics === undefined ? [] : raw.metrics;
  if (!Array.isArray(rawMetrics)) {
    at(
      ['analysis', 'metrics'],
      `a list of {name, query?, min?, max?, maxIncrease?, maxDecrease?}, not ${show(rawMetrics)}`,
    );
    ok = false;
  } else
    rawMetrics.forEach((m, i) => {
      const metric = parseMetric(m, ['analysis', 'metrics', i], at);
      if (metric) metrics.push(metric);
      else ok = false;
    });
  return ok
    ? {
        intervalMs: intervalMs!,
        failureLimit: failureLimit as number,
        metrics,
        minRequests: minRequests as number,
        minCoverage: minCoverage!,
      }
    : undefined;
}

const METRIC_FIELDS = ['name', 'query', 'min', 'max', 'maxIncrease', 'maxDecrease'];

function parseMetric(m: unknown, path: Path, at: At): MetricSpec | undefined {
  if (!isObj(m)) {
    at(path, `a map of name, query, min and max, not ${show(m)}`);
    return undefined;
  }
  let ok = true;
  const fail = (p: Path, message: string) => {
    at(p, message);
    ok = false;
  };
  for (const k of Object.keys(m))
    if (!METRIC_FIELDS.includes(k))
      fail([...path, k], 'unknown field: a metric has name, query, min, max, maxIncrease and maxDecrease');
  const name = m.name;
  if (typeof name !== 'string' || name === '') {
    fail([...path, 'name'], name === undefined ? 'required' : `a non-empty string, not ${show(name)}`);
    return undefined;
  }
  if (m.query !== undefined && (typeof m.query !== 'string' || m.query === ''))
    fail([...path, 'query'], `a PromQL query returning one number, not ${show(m.query)}`);
  const custom = typeof m.query === 'string' && m.query !== '' ? m.query : undefined;
  if (m.query === undefined && !(BUILTIN_METRICS as readonly string[]).includes(name))
    fail([...path, 'name'], `"${name}" is not built in (${BUILTIN_METRICS.join(', ')}); give a query`);
  // Built-in latencies are compared in milliseconds; a duration says it plainly.
  const latency = m.query === undefined && name.startsWith('latency');
  const bound = (k: 'min' | 'max'): number | undefined => {
    const v = m[k];
    if (v === undefined || typeof v === 'number') return v;
    const ms = latency ? parseDurationMs(v) : undefined;
    if (ms !== undefined) return ms;
    fail([...path, k], `a number${latency ? ' (ms) or a duration such as "500ms"' : ''}, not ${show(v)}`);
    return undefined;
  };
  const min = bound('min');
  const max = bound('max');
  // Relative bounds compare the canary with the stable pods: built-in metrics only (a query names one workload).
  const relative = (k: 'maxIncrease' | 'maxDecrease', applies: boolean, what: string): number | undefined => {
    const v = m[k];
    if (v === undefined) return undefined;
    if (!applies) {
      fail([...path, k], `${k} applies to ${what} only`);
      return undefined;
    }
    const n = k === 'maxIncrease' ? percent(v) : typeof v === 'number' ? v : undefined;
    if (n !== undefined && n >= 0) return n;
    fail(
      [...path, k],
      `${k === 'maxIncrease' ? 'a share ≥ 0 such as "20%"' : 'percentage points ≥ 0'}, not ${show(v)}`,
    );
    return undefined;
  };
  const maxIncrease = relative('maxIncrease', latency, 'the built-in latencies');
  const maxDecrease = relative('maxDecrease', m.query === undefined && name === 'success-rate', 'success-rate');
  if ([m.min, m.max, m.maxIncrease, m.maxDecrease].every((v) => v === undefined))
    fail(
      path,
      'give min or max (or a bound relative to stable: maxIncrease for latency, maxDecrease for success-rate)',
    );
  if (!ok) return undefined;
  return {
    name,
    ...(custom ? { query: custom } : {}),
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
    ...(maxIncrease !== undefined ? { maxIncrease } : {}),
    ...(maxDecrease !== undefined ? { maxDecrease } : {}),
  };
}

function parseTrafficRouting(raw: unknown, at: At): CanarySpec['trafficRouting'] | undefined {
  if (raw === undefined) return {};
  if (!isObj(raw)) {
    at(['trafficRouting'], `a map with gateway: {httpRoute: <name>}, not ${show(raw)}`);
    return undefined;
  }
  if (raw.gateway === undefined) return {};
  const route = isObj(raw.gateway) ? raw.gateway.httpRoute : undefined;
  if (!isObj(raw.gateway) || typeof route !== 'string' || route === '') {
    at(
      ['trafficRouting', 'gateway', 'httpRoute'],
      `the name of the HTTPRoute whose backendRefs carry the split${route === undefined ? '' : `, not ${show(route)}`}`,
    );
    return undefined;
  }
  return { gateway: { httpRoute: route } };
}

/**
 * The same checks with each problem as one line (`steps[2].weight: …`), for callers that read the
 * trait from an app themselves.
 */
export function canarySpec(
  component: string,
  props: unknown,
): { ok: true; value: CanarySpec } | { ok: false; problems: string[] } {
  const r = parseCanary(props, component);
  if (r.ok) return r;
  return {
    ok: false,
    problems: r.problems.map((p) => (p.path.length > 0 ? `${formatPropertyPath(p.path)}: ${p.message}` : p.message)),
  };
}
