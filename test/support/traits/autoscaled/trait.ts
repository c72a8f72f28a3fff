/**
 * `autoscaled`: a test-only runtime trait (src/traits/api/runtime-trait.ts) that owns its component's
 * Deployment replicas (`ownedFields`), as the `slo` trait's autoscaler does; the test plays the autoscaler
 * (`ClusterPort.scale` with its own field manager). It has no hooks. Registered by the tests that use it
 * (`runtimeTraits: [...RUNTIME_TRAITS, autoscaled]`) with its CUE definition (autoscaled.cue, in the
 * definitions/ folder the app is rendered with).
 */
import { readFileSync } from 'node:fs';
import type { OwnedField, ParseResult } from '../../../../src/oam/render/runtime-traits.js';
import type { RuntimeTrait } from '../../../../src/traits/api/runtime-trait.js';

/** The trait's CUE definition, for a definitions/ folder. */
export const AUTOSCALED_DEFINITION = readFileSync(new URL('./autoscaled.cue', import.meta.url), 'utf8');

/** The field manager the tests' autoscaler writes with. */
export const AUTOSCALER = 'ferry-slo';

export const autoscaled: RuntimeTrait<Record<string, never>, undefined> = {
  type: 'autoscaled',
  parse(properties): ParseResult<Record<string, never>> {
    const keys = Object.keys((properties ?? {}) as object);
    return keys.length === 0
      ? { ok: true, value: {} }
      : { ok: false, problems: keys.map((k) => ({ path: [k], message: 'unknown property (autoscaled has none)' })) };
  },
  ownedFields: (): OwnedField[] => [{ kind: 'Deployment', path: ['spec', 'replicas'] }],
  progress: { encode: () => null, decode: () => undefined },
  describe: () => 'autoscaled',
  start: () => ({}),
};
