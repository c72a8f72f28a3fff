/** Ferry's ownership marks on applied objects, next to KubeVela's labels. */
import { hashOf } from '../../util/hash.js';
import { groupOf, type KubeObject } from '../../objects/objects.js';

export const LABEL_APP = 'ferry.dev/app';
export const LABEL_ENV = 'ferry.dev/environment';
export const LABEL_COMPONENT = 'ferry.dev/component';
export const ANN_TRACKING = 'ferry.dev/tracking-id';
export const ANN_HASH = 'ferry.dev/desired-hash';
/** Set to "false" on a live object to keep it when it leaves the desired set. */
export const ANN_PRUNE = 'ferry.dev/prune';

export interface SyncScope {
  app: string;
  env: string;
  /** Whose sync it is (names its inventory and sync lock): a Git source's controller, or "cli" (`ferry apply`). */
  source?: string;
}

export function trackingId(scope: SyncScope, o: KubeObject): string {
  const object = `${groupOf(o.apiVersion)}/${o.kind}:${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  return `${scope.app}/${scope.env}:${object}`;
}

/** The object as Ferry applies it: tracking labels and annotations, and the hash of everything else. */
export function tracked(scope: SyncScope, o: KubeObject): KubeObject {
  const labels: Record<string, string> = {
    ...(o.metadata.labels ?? {}),
    [LABEL_APP]: scope.app,
    [LABEL_ENV]: scope.env,
  };
  const component = o.metadata.labels?.['app.oam.dev/component'];
  if (component) labels[LABEL_COMPONENT] = component;
  const annotations = { ...(o.metadata.annotations ?? {}), [ANN_TRACKING]: trackingId(scope, o) };
  const base: KubeObject = { ...o, metadata: { ...o.metadata, labels, annotations } };
  return { ...base, metadata: { ...base.metadata, annotations: { ...annotations, [ANN_HASH]: hashOf(base) } } };
}

export const isOurs = (scope: SyncScope, live: KubeObject) =>
  live.metadata.annotations?.[ANN_TRACKING] === trackingId(scope, live);
