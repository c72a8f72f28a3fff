/**
 * The `slo` trait's properties, checked and typed: the latency (and optionally success rate) a component
 * must hold, the replicas its autoscaler may use, and how it evaluates. What definitions/traits/slo.cue
 * says, with each problem at the path of the property inside `properties` (the render pipeline locates it
 * in the app file).
 */
import type { ParseResult, PropertyProblem } from '../../oam/render/runtime-traits.js';
import { parseDurationMs } from '../../util/duration.js';

export interface SloSpec {
  component: string;
  /** The latency objective: the `quantile` (0–1) of request latency must stay at or under `maxMs`. */
  latency: { percentile: number; quantile: number; maxMs: number };
  /** The share of requests not answered 5xx, %, that must hold (optional). */
  successRate?: { min: number };
  replicas: { min: number; max: number };
  /** How far back each evaluation's queries look. */
  windowMs: number;
  /** How often the autoscaler evaluates. */
  intervalMs: number;
  /** How long a lower recommendation must persist before replicas go down. */
  scaleDownStabilizationMs: number;
}

export const SLO_DEFAULTS = {
  replicas: { min: 1, max: 10 },
  window: '1m',
  interval: '15s',
  scaleDownStabilization: '1m',
} as const;

type Obj = Record<string, unknown>;
type Path = PropertyProblem['path'];
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const FIELDS = ['latency', 'successRate', 'replicas', 'window', 'interval', 'scaleDownStabilization'];

/** Checks one component's `slo` properties; every problem has the path of the property at fault. */
export function parseSlo(props: unknown, component: string): ParseResult<SloSpec> {
  const problems: PropertyProblem[] = [];
  const at = (path: Path, message: string) => void problems.push({ path, message });
  if (!isObj(props)) {
    at([], `a map with latency: {percentile, max}, not ${show(props)}`);
    return { ok: false, problems };
  }
  for (const k of Object.keys(props))
    if (!FIELDS.includes(k)) at([k], `unknown field: an slo has ${FIELDS.join(', ')}`);
  const duration = (key: string, fallback: string, minMs: number): number | undefined => {
    const raw = props[key] ?? fallback;
    const ms = parseDurationMs(raw);
    if (ms !== undefined && ms >= minMs) return ms;
    at([key], `a duration of at least ${minMs / 1000}s such as "${fallback}", not ${show(props[key])}`);
    return undefined;
  };
  const latency = parseLatency(props.latency, at);
  const successRate = parseSuccessRate(props.successRate, at);
  const replicas = parseReplicas(props.replicas, at);
  const windowMs = duration('window', SLO_DEFAULTS.window, 10_000);
  const intervalMs = duration('interval', SLO_DEFAULTS.interval, 1_000);
  const scaleDownStabilizationMs = duration('scaleDownStabilization', SLO_DEFAULTS.scaleDownStabilization, 0);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      component,
      latency: latency!,
      ...(successRate ? { successRate } : {}),
      replicas: replicas!,
      windowMs: windowMs!,
      intervalMs: intervalMs!,
      scaleDownStabilizationMs: scaleDownStabilizationMs!,
    },
  };
}

type At = (path: Path, message: string) => void;

function parseLatency(raw: unknown, at: At): SloSpec['latency'] | undefined {
  if (!isObj(raw)) {
    at(['latency'], `{percentile: 99, max: 200ms}, not ${show(raw)}`);
    return undefined;
  }
  let ok = true;
  for (const k of Object.keys(raw))
    if (k !== 'percentile' && k !== 'max') {
      at(['latency', k], 'unknown field: latency has percentile and max');
      ok = false;
    }
  const p = raw.percentile;
  if (typeof p !== 'number' || p < 50 || p >= 100) {
    at(['latency', 'percentile'], `a percentile from 50 to 99.99 (99 is p99), not ${show(p)}`);
    ok = false;
  }
  const max = raw.max;
  const maxMs = typeof max === 'number' && max > 0 ? max : typeof max === 'string' ? parseDurationMs(max) : undefined;
  if (maxMs === undefined || maxMs <= 0) {
    at(['latency', 'max'], `a duration such as "200ms" (or milliseconds), not ${show(max)}`);
    ok = false;
  }
  return ok ? { percentile: p as number, quantile: (p as number) / 100, maxMs: maxMs! } : undefined;
}

function parseSuccessRate(raw: unknown, at: At): SloSpec['successRate'] | undefined {
  if (raw === undefined) return undefined;
  const min = isObj(raw) ? raw.min : undefined;
  const extra = isObj(raw) ? Object.keys(raw).filter((k) => k !== 'min') : [];
  for (const k of extra) at(['successRate', k], 'unknown field: successRate has min');
  if (typeof min !== 'number' || min < 0 || min > 100) {
    at(['successRate', 'min'], `a share of requests from 0 to 100, not ${show(min)}`);
    return undefined;
  }
  return extra.length > 0 ? undefined : { min };
}

function parseReplicas(raw: unknown, at: At): SloSpec['replicas'] | undefined {
  if (raw !== undefined && !isObj(raw)) {
    at(['replicas'], `{min: 2, max: 30}, not ${show(raw)}`);
    return undefined;
  }
  const r: Obj = raw ?? {};
  let ok = true;
  for (const k of Object.keys(r))
    if (k !== 'min' && k !== 'max') {
      at(['replicas', k], 'unknown field: replicas has min and max');
      ok = false;
    }
  const min = r.min ?? SLO_DEFAULTS.replicas.min;
  const max = r.max ?? SLO_DEFAULTS.replicas.max;
  if (!isInt(min) || min < 1) {
    at(['replicas', 'min'], `an integer ≥ 1, not ${show(min)}`);
    ok = false;
  }
  if (!isInt(max) || max < 1) {
    at(['replicas', 'max'], `an integer ≥ 1, not ${show(max)}`);
    ok = false;
  } else if (isInt(min) && max < min) {
    at(['replicas', 'max'], `at least replicas.min (${min}), not ${max}`);
    ok = false;
  }
  return ok ? { min: min as number, max: max as number } : undefined;
}
