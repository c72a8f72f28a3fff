/**
 * Renders one app for one environment into what each of its placements (clusters) should hold:
 * the environment's namespace applied, and the namespaces the objects use created with them (as
 * Argo CD's CreateNamespace does), marked never to be pruned.
 */
import type { DefinitionRegistry } from '../../oam/definitions/registry.js';
import { type FerryProblem, fail, ok, problem, type Result } from '../../oam/errors.js';
import type { ParsedTrait, TraitParser } from '../../oam/render/runtime-traits.js';
import type { SourcedApplication } from '../../oam/model/parse.js';
import { listEnvironments } from '../../oam/policies/environment.js';
import { renderApp } from '../../oam/render/app.js';
import type { EnvironmentConfig } from '../source/environments.js';
import type { KubeObject } from '../../objects/objects.js';
import type { RecordedPlacement } from '../store/release-store.js';
import { ANN_PRUNE } from '../sync/tracking.js';
import { waveOrder } from './waves.js';

/** What one placement (a cluster) of a release holds. */
export type ReleasePlacement = RecordedPlacement;

export function withNamespaces(objects: KubeObject[]): KubeObject[] {
  const declared = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  const used = [
    ...new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => !!n && !declared.has(n))),
  ];
  const namespaces: KubeObject[] = used.map((name) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, annotations: { [ANN_PRUNE]: 'false' } },
  }));
  return [...namespaces, ...objects];
}

/** The environments of an app: ferry.yaml's when it has any, else the app's own, else "default". */
export function environmentsOf(app: SourcedApplication, configured: EnvironmentConfig[]): string[] {
  if (configured.length > 0) return configured.map((e) => e.name);
  const own = listEnvironments(app.app);
  return own.length > 0 ? own : ['default'];
}

/** What a release renders: its placements, its runtime traits (after overrides) and render warnings. */
export interface RenderedRelease {
  placements: ReleasePlacement[];
  runtimeTraits: ParsedTrait[];
  warnings: FerryProblem[];
}

export function renderRelease(
  sourced: SourcedApplication,
  registry: DefinitionRegistry,
  env: string,
  configured: EnvironmentConfig | undefined,
  runtimeTraits: readonly TraitParser[] = [],
  opts: { strict?: boolean } = {},
): Result<RenderedRelease> {
  const own = listEnvironments(sourced.app);
  const renderEnv = own.includes(env) ? env : undefined;
  // An environment the app's workflow declared must still be the app's at this commit.
  const listed = configured !== undefined && configured.fromWorkflow !== true;
  if (!listed && !renderEnv && env !== 'default') {
    const appEnvironments =
      own.length > 0
        ? ` and not one of the app's (${own.map((e) => `"${e}"`).join(', ')})`
        : ' and the app declares none';
    return fail([
      problem('PolicyInvalid', `unknown environment "${env}": not in ferry.yaml${appEnvironments}`, {
        file: sourced.source.file,
        line: 1,
        column: 1,
      }),
    ]);
  }
  // `strict` (ferry apply --strict) makes the render's warnings errors.
  const options = { ...(renderEnv ? { env: renderEnv } : {}), ...(opts.strict ? { strict: true } : {}) };
  const rendered = renderApp({ app: sourced, registry, runtimeTraits, options });
  if (!rendered.ok) return rendered;
  // The environment's namespace replaces the app's, in the objects and in the fields runtime traits own.
  const inEnvironment = <T extends { namespace?: string }>(o: T): T =>
    configured?.namespace && o.namespace ? { ...o, namespace: configured.namespace } : o;
  const placements = rendered.value.placements.map((p): ReleasePlacement => {
    const objects = (p.objects as unknown as KubeObject[]).map((obj) => ({
      ...obj,
      metadata: inEnvironment(obj.metadata),
    }));
    const owned = p.ownedFields?.map((f) => ({ ...f, ref: inEnvironment(f.ref) }));
    // A tenant (an environment with a serviceAccount) writes into namespaces the platform made for it: Ferry does
    // not add the Namespace objects it would create otherwise (a tenant has no right to them).
    const all = configured?.serviceAccount ? objects : withNamespaces(objects);
    return { cluster: p.cluster, objects: all, ...(owned ? { ownedFields: owned } : {}) };
  });
  // Waves naming a cluster the topology does not place: refused here, for ferry apply as for ferry serve.
  const waves = waveOrder(placements, configured?.waves, {
    env,
    app: sourced.app.metadata.name,
    ...(configured?.wavesAt ? { at: configured.wavesAt } : {}),
  });
  if (!waves.ok) return waves;
  return ok({ placements, runtimeTraits: rendered.value.runtimeTraits, warnings: rendered.value.warnings });
}
