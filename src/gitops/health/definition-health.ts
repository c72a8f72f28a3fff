/**
 * Health from the definitions: a component definition's `status.healthPolicy` (CUE giving
 * `isHealth`) and `status.customStatus` (CUE giving `message`), evaluated against the LIVE
 * workload as `context.output`, with the component's properties as `parameter`, as KubeVela does.
 * A Degraded verdict of the built-in rules (e.g. ProgressDeadlineExceeded) still wins.
 */
import type { CueEngine } from '../../oam/cue/engine.js';
import type { DefinitionRegistry } from '../../oam/definitions/registry.js';
import type { ComponentSpec } from '../../oam/model/application.js';
import { computeHealth } from './compute.js';
import { health, type Health } from './types.js';
import type { KubeObject } from '../../objects/objects.js';
import type { HealthCheck } from './types.js';

/**
 * Compiled health templates, per engine and source: compiled once for all releases and checks (a
 * compiled template lives in the engine's memory until released, so compiling per check grows it).
 */
const compiled = new WeakMap<CueEngine, Map<string, number | string>>();

export function definitionHealth(
  registry: DefinitionRegistry,
  components: ComponentSpec[],
  appName: string,
): HealthCheck {
  const cue = registry.cue;
  let loaded = compiled.get(cue);
  if (!loaded) compiled.set(cue, (loaded = new Map()));
  const templateOf = (key: string, source: string): number | string => {
    const cacheKey = `${key}\u0000${source}`;
    let id = loaded.get(cacheKey);
    if (id === undefined) {
      const r = cue.load(key, source, 'template');
      id = r.template ? r.template.id : r.problems.map((p) => p.message).join('; ');
      loaded.set(cacheKey, id);
    }
    return id;
  };
  const evaluate = (
    key: string,
    source: string,
    field: string,
    live: KubeObject,
    comp: ComponentSpec,
  ): { value?: unknown; error?: string } => {
    const id = templateOf(key, source);
    if (typeof id === 'string') return { error: id };
    const ev = cue.evaluate(id, {
      parameter: comp.properties ?? {},
      context: { name: comp.name, appName, output: live, outputs: {} },
      fields: [field],
    });
    if (ev.problems.length > 0)
      return { error: ev.problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ') };
    return { value: ev.values[field] };
  };

  return (live: KubeObject | undefined, desired: KubeObject): Health => {
    const base = computeHealth(live);
    const labels = desired.metadata.labels ?? {};
    if (!live || base.status === 'Degraded' || labels['app.oam.dev/resourceType'] !== 'WORKLOAD') return base;
    const comp = components.find((c) => c.name === labels['app.oam.dev/component']);
    const def = comp ? registry.get('component', comp.type) : undefined;
    const status = def?.attributes.status;
    if (!comp || !def || (!status?.healthPolicy && !status?.customStatus)) return base;
    const message = status.customStatus
      ? evaluate(`${def.file}#customStatus`, status.customStatus, 'message', live, comp)
      : {};
    const text = typeof message.value === 'string' ? message.value : base.message;
    if (!status.healthPolicy) return { ...base, message: text };
    const verdict = evaluate(`${def.file}#healthPolicy`, status.healthPolicy, 'isHealth', live, comp);
    if (verdict.error !== undefined)
      return health('Unknown', 'HealthPolicyError', `healthPolicy of "${def.name}": ${verdict.error}`);
    return verdict.value === true
      ? health('Healthy', 'HealthPolicy', text)
      : health('Progressing', 'HealthPolicy', text || `healthPolicy of "${def.name}" is not met`);
  };
}
