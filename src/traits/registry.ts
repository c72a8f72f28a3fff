/**
 * The runtime traits Ferry knows, by trait type. The render pipeline (`ferry render`, `ferry apply`,
 * `ferry diff`) checks each one's properties after the environment's override policies.
 */
import type { TraitParser } from '../oam/render/runtime-traits.js';
import { parseCanary } from './canary/spec.js';

export const RUNTIME_TRAITS: readonly TraitParser[] = [{ type: 'canary', parse: parseCanary }];
