/**
 * The runtime traits Ferry knows: one line per trait. The render pipeline parses their properties,
 * the controller runs their hooks, `ferry status` describes their progress.
 */
import { canaryTrait } from './canary/trait.js';
import { sloTrait } from './slo/trait.js';
import type { AnyRuntimeTrait } from './api/runtime-trait.js';

export const RUNTIME_TRAITS: readonly AnyRuntimeTrait[] = [canaryTrait, sloTrait];
