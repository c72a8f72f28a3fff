/**
 * The API's view of a Controller (api.ts `ApiSource`): its releases with each runtime trait's view, their
 * objects and charts; what only the command line knows (the releases matrix, the actions) is given by the
 * caller (`ferry serve` runs the commands themselves).
 */
import type { AnyRuntimeTrait } from '../../traits/api/runtime-trait.js';
import type { ApiSource } from './api.js';
import type { Controller } from './controller.js';
import { chartsOf, objectsOf, withViews } from './dashboard-views.js';

export function controllerApi(
  c: Controller,
  traits: readonly AnyRuntimeTrait[],
  commands: Pick<ApiSource, 'releases' | 'act'>,
): ApiSource {
  const summaryOf = (app: string, env: string) => c.summaries().find((s) => s.app === app && s.env === env);
  return {
    summaries: () => c.summaries().map((s) => withViews(s, traits)),
    environments: () => c.environments(),
    source: () => c.sourceView(),
    history: (app, env) => c.history(app, env),
    async objects(app, env) {
      const a = c.releaseAccess(app, env);
      return a ? objectsOf(a) : undefined;
    },
    async charts(app, env) {
      const a = c.releaseAccess(app, env);
      const s = summaryOf(app, env);
      return a ? (s ? chartsOf(a, s, traits) : []) : undefined;
    },
    subscribe: (fn) => c.subscribe((s) => fn(withViews(s, traits))),
    ...commands,
  };
}
