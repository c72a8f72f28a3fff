/**
 * The `canary` trait's properties, checked and typed. Parameter names follow Argo Rollouts
 * (`steps`, `setWeight` as `weight`, `pause`, `analysis`) and Flagger (`interval`, `failureLimit` as
 * its `threshold`, built-in `success-rate` and `latency` metrics).
 */
import type { ParseResult, PropertyProblem } from '../../oam/render/runtime-traits.js';
import { parseDurationMs } from '../../util/duration.js';

export interface MetricSpec {
  name: string;
  /** Built-in (success-rate, latency, latency-p95, latency-p50) or custom (query). */
  query?: string;
  min?: number;
  /** For latency, in milliseconds. */
  max?: number;
}

export type StepSpec = { weight: number } | { pause: { durationMs?: number } };

export interface CanarySpec {
  component: string;
  steps: StepSpec[];
  analysis: { intervalMs: number; failureLimit: number; metrics: MetricSpec[] };
  trafficRouting: { gateway?: { httpRoute: string } };
}

export const BUILTIN_METRICS = ['success-rate', 'latency', 'latency-p99', 'latency-p95', 'latency-p50'] as const;

/** Checks one component's `canary` properties; problems name the field (`steps[2].weight`). */
export function canarySpec(
  component: string,
  props: unknown,
): { ok: true; value: CanarySpec } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  const p = (props ?? {}) as Record<string, unknown>;
  const steps: StepSpec[] = [];
  const rawSteps = p.steps ?? [
    { weight: 20 },
    { pause: { duration: '30s' } },
    { weight: 50 },
    { pause: { duration: '30s' } },
  ];
  if (!Array.isArray(rawSteps) || rawSteps.length === 0)
    problems.push('steps: a non-empty list of {weight: n} or {pause: {duration?}}');
  else
    rawSteps.forEach((s, i) => {
      const o = (s ?? {}) as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length !== 1 || !['weight', 'pause'].includes(keys[0]!))
        return problems.push(`steps[${i}]: one of weight or pause`);
      if ('weight' in o) {
        const w = o.weight;
        if (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > 99)
          return problems.push(
            `steps[${i}].weight: an integer from 1 to 99 (100 is the promotion after the last step), not ${JSON.stringify(w)}`,
          );
        return steps.push({ weight: w });
      }
      const pause = (o.pause ?? {}) as Record<string, unknown>;
      if (typeof pause !== 'object' || Array.isArray(pause))
        return problems.push(`steps[${i}].pause: {} or {duration: "1m"}`);
      if (pause.duration === undefined) return steps.push({ pause: {} });
      const ms = parseDurationMs(pause.duration);
      if (ms === undefined)
        return problems.push(
          `steps[${i}].pause.duration: a duration such as "30s" or "5m", not ${JSON.stringify(pause.duration)}`,
        );
      return steps.push({ pause: { durationMs: ms } });
    });
  if (steps.length > 0 && !steps.some((s) => 'weight' in s)) problems.push('steps: at least one weight step');
  const a = (p.analysis ?? {}) as Record<string, unknown>;
  const intervalMs = a.interval === undefined ? 30_000 : parseDurationMs(a.interval);
  if (intervalMs === undefined || intervalMs < 1000)
    problems.push(`analysis.interval: a duration of at least 1s, not ${JSON.stringify(a.interval)}`);
  const failureLimit = a.failureLimit ?? 1;
  if (typeof failureLimit !== 'number' || !Number.isInteger(failureLimit) || failureLimit < 1)
    problems.push(`analysis.failureLimit: an integer ≥ 1, not ${JSON.stringify(failureLimit)}`);
  const metrics: MetricSpec[] = [];
  const rawMetrics = a.metrics ?? [];
  if (!Array.isArray(rawMetrics)) problems.push('analysis.metrics: a list');
  else
    rawMetrics.forEach((m, i) => {
      const o = (m ?? {}) as Record<string, unknown>;
      const name = o.name;
      if (typeof name !== 'string' || name === '') return problems.push(`analysis.metrics[${i}].name: required`);
      const custom = typeof o.query === 'string' ? o.query : undefined;
      if (!custom && !(BUILTIN_METRICS as readonly string[]).includes(name))
        return problems.push(
          `analysis.metrics[${i}]: "${name}" is not built in (${BUILTIN_METRICS.join(', ')}); give a query`,
        );
      const bound = (k: 'min' | 'max') => {
        const v = o[k];
        if (v === undefined) return undefined;
        if (typeof v === 'number') return v;
        if (name.startsWith('latency') && !custom) {
          const ms = parseDurationMs(v);
          if (ms !== undefined) return ms;
        }
        problems.push(
          `analysis.metrics[${i}].${k}: a number${name.startsWith('latency') ? ' or a duration such as "500ms"' : ''}, not ${JSON.stringify(v)}`,
        );
        return undefined;
      };
      const min = bound('min');
      const max = bound('max');
      if (min === undefined && max === undefined) return problems.push(`analysis.metrics[${i}]: give min or max`);
      metrics.push({
        name,
        ...(custom ? { query: custom } : {}),
        ...(min !== undefined ? { min } : {}),
        ...(max !== undefined ? { max } : {}),
      });
    });
  const tr = (p.trafficRouting ?? {}) as Record<string, unknown>;
  const trafficRouting: CanarySpec['trafficRouting'] = {};
  if (tr.gateway !== undefined) {
    const route = (tr.gateway as Record<string, unknown> | null)?.httpRoute;
    if (typeof route !== 'string' || route === '')
      problems.push('trafficRouting.gateway.httpRoute: the name of the HTTPRoute whose backendRefs carry the split');
    else trafficRouting.gateway = { httpRoute: route };
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      component,
      steps,
      analysis: { intervalMs: intervalMs!, failureLimit: failureLimit as number, metrics },
      trafficRouting,
    },
  };
}

/**
 * The trait's parser for the render pipeline: canarySpec's problems as property paths
 * (`steps[0].weight: …` → ['steps', 0, 'weight']).
 */
export function parseCanary(props: unknown, component: string): ParseResult<CanarySpec> {
  const r = canarySpec(component, props);
  if (r.ok) return r;
  return { ok: false, problems: r.problems.map(toPropertyProblem) };
}

function toPropertyProblem(text: string): PropertyProblem {
  const m = /^([A-Za-z][\w.[\]]*?)(?:: |$)(.*)$/s.exec(text);
  if (!m) return { path: [], message: text };
  const path = m[1]!.split(/\.|(?=\[)/).map((p) => (p.startsWith('[') ? Number(p.slice(1, -1)) : p));
  return { path, message: m[2] ?? '' };
}
