/**
 * The `canary` runtime trait: gray release of a component's Deployment (src/traits/api/runtime-trait.ts).
 * Parsing (spec.ts), progress (progress.ts) and the runtime (delivery.ts) are its own; this file is
 * what the core sees.
 */
import type { RuntimeTrait } from '../api/runtime-trait.js';
import { canaryView } from './view.js';
import { CanaryRuntime } from './delivery.js';
import { type CanaryProgress, decodeProgress, progressLine } from './progress.js';
import { type CanarySpec, parseCanary } from './spec.js';

export const canaryTrait: RuntimeTrait<CanarySpec, CanaryProgress> = {
  type: 'canary',
  parse: parseCanary,
  progress: { encode: (p) => p, decode: decodeProgress },
  describe: progressLine,
  view: canaryView,
  start: (context) => new CanaryRuntime(context),
};
