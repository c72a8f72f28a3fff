/** planSync: desired vs live vs inventory → what to create, update, leave, delete or refuse. */
import { formatRef, refKey, refOf, type KubeObject, type ObjectRef } from '../../objects/objects.js';
import { contains, driftedPaths, normalize, type IgnoreRule } from './normalize.js';
import { ANN_HASH, ANN_PRUNE, isOurs, type SyncScope } from './tracking.js';

export type PlanAction = 'create' | 'update' | 'unchanged' | 'delete' | 'foreign' | 'keep';

export interface PlanItem {
  ref: ObjectRef;
  action: PlanAction;
  reason: string;
  desired?: KubeObject;
  live?: KubeObject;
  /** JSON Pointers of managed fields that drifted (update of an unchanged desired object). */
  drift?: string[];
}

export interface SyncPlan {
  items: PlanItem[];
  /** Set when the plan must not be carried out. */
  refused?: string;
}

export interface PlanInput {
  scope: SyncScope;
  /** Desired objects, already tracked (see tracked()). */
  desired: KubeObject[];
  /** Live state by refKey; undefined when the object does not exist. */
  live: Map<string, KubeObject | undefined>;
  inventory: ObjectRef[];
  prune: boolean;
  adopt?: boolean;
  allowEmpty?: boolean;
  ignore?: IgnoreRule[];
}

export function planSync(input: PlanInput): SyncPlan {
  const items: PlanItem[] = [];
  const wanted = new Set(input.desired.map((d) => refKey(refOf(d))));
  for (const desired of input.desired) {
    const ref = refOf(desired);
    const live = input.live.get(refKey(ref));
    if (!live) {
      items.push({ ref, action: 'create', reason: 'not in the cluster', desired });
      continue;
    }
    if (!isOurs(input.scope, live) && !input.adopt) {
      items.push({
        ref,
        action: 'foreign',
        reason:
          `${formatRef(ref)} exists and was not created by Ferry for ${input.scope.app}/${input.scope.env}; ` +
          'left untouched (adopt to take it over)',
        desired,
        live,
      });
      continue;
    }
    const want = normalize(desired, input.ignore);
    const have = normalize(live, input.ignore);
    const sameHash = live.metadata.annotations?.[ANN_HASH] === desired.metadata.annotations?.[ANN_HASH];
    if (sameHash && contains(have, want)) {
      items.push({ ref, action: 'unchanged', reason: 'in sync', desired, live });
    } else {
      const drift = sameHash ? driftedPaths(have, want) : undefined;
      items.push({
        ref,
        action: 'update',
        reason: drift
          ? `drifted: ${drift.join(', ')}`
          : isOurs(input.scope, live)
            ? 'desired state changed'
            : 'adopting',
        desired,
        live,
        ...(drift ? { drift } : {}),
      });
    }
  }
  if (input.prune) {
    for (const ref of input.inventory) {
      if (wanted.has(refKey(ref))) continue;
      const live = input.live.get(refKey(ref));
      if (!live) continue;
      if (!isOurs(input.scope, live))
        items.push({ ref, action: 'keep', reason: 'not created by Ferry for this app; never deleted', live });
      else if (live.metadata.annotations?.[ANN_PRUNE] === 'false')
        items.push({ ref, action: 'keep', reason: `${ANN_PRUNE}: "false"`, live });
      else items.push({ ref, action: 'delete', reason: 'no longer desired', live });
    }
  }
  const plan: SyncPlan = { items };
  if (input.prune && input.desired.length === 0 && items.some((i) => i.action === 'delete') && !input.allowEmpty) {
    const deleting = items.filter((i) => i.action === 'delete').length;
    plan.refused =
      `refusing to prune all ${deleting} objects of ${input.scope.app}/${input.scope.env}: ` +
      'the desired set is empty (allow it explicitly to proceed)';
  }
  return plan;
}
