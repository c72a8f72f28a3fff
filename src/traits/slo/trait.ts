/**
 * The `slo` runtime trait: a component's declared latency (and success rate), held by Ferry's SLO
 * autoscaler (runtime.ts, the trait's watch) and used as the objective of the component's canary when
 * that canary declares no analysis (src/traits/api/runtime-trait.ts `objective`). Parsing (spec.ts) and
 * status (status.ts) are its own; this file is what the core sees.
 */
import type { RuntimeTrait } from '../api/runtime-trait.js';
import { sloView } from './view.js';
import { SloRuntime } from './runtime.js';
import { type SloSpec, parseSlo } from './spec.js';
import { decodeStatus, type SloStatus, statusLine } from './status.js';

export const sloTrait: RuntimeTrait<SloSpec, SloStatus> = {
  type: 'slo',
  parse: parseSlo,
  progress: { encode: (s) => s, decode: decodeStatus },
  describe: statusLine,
  view: sloView,
  // The autoscaler owns the Deployment's replicas: the sync creates it with the rendered count and never changes it.
  ownedFields: () => [{ kind: 'Deployment', path: ['spec', 'replicas'] }],
  objective: (spec) => ({ latency: spec.latency, ...(spec.successRate ? { successRate: spec.successRate } : {}) }),
  start: (context) => new SloRuntime(context),
};
