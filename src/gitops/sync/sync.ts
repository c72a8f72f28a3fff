/**
 * syncApp: one sync of one (app, environment). Read → plan → nothing to do? stop (zero writes) →
 * lock → re-plan → dry-run every change (any failure: nothing written) → CRDs/Namespaces → waves
 * in dependsOn order (each wave healthy before the next when it has dependents) → inventory → prune.
 * planApp is where every plan, apply, diff and drift check reads the cluster: the fields runtime traits
 * own are left to them there (`ownedFields`, see src/objects/fields.ts).
 */
import { withLiveFields, type ObjectField } from '../../objects/fields.js';
import { ClusterError, SYNC_FIELD_MANAGER, type ClusterPort } from '../../ports/cluster.js';
import { readInventory, sameInventory, writeInventory } from '../store/inventory.js';
import { acquireLock } from './lock.js';
import { formatRef, groupOf, refKey, refOf, type KubeObject, type ObjectRef } from '../../objects/objects.js';
import type { IgnoreRule } from './normalize.js';
import { planSync, type PlanItem, type SyncPlan } from './plan.js';
import { dependencyWaves, isFoundation, kindsFromCrds } from './stages.js';
import { ANN_HASH, tracked, type SyncScope } from './tracking.js';
import { waitHealthy, type HealthCheck } from './wait.js';

export interface SyncOptions {
  scope: SyncScope;
  /** Rendered objects (untracked); Ferry adds its labels and annotations. */
  objects: KubeObject[];
  /**
   * Fields of `objects` that runtime traits write at run time (the render's `ownedFields`): an object that
   * exists is applied without changing them, so plan, diff and drift see no change there.
   */
  ownedFields?: readonly ObjectField[];
  components?: { name: string; dependsOn?: string[] }[];
  cluster: ClusterPort;
  /**
   * Where Ferry's own records of this sync live (its inventory and lock, in ferry-system), under the controller's
   * identity when `cluster` is a tenant's (an environment's serviceAccount, impersonated). Default: `cluster`.
   */
  records?: ClusterPort;
  prune?: boolean;
  adopt?: boolean;
  allowEmpty?: boolean;
  force?: boolean;
  ignore?: IgnoreRule[];
  /** Wait until everything is healthy (fails fast on Degraded). */
  wait?: boolean;
  timeoutMs?: number;
  health?: HealthCheck;
  /** A plan just made by planApp for the same objects: used instead of reading everything again. */
  planned?: Awaited<ReturnType<typeof planApp>>;
}

export type ItemResult = {
  ref: ObjectRef;
  action: PlanItem['action'] | 'created' | 'configured' | 'deleted' | 'failed';
  message: string;
};

export interface SyncResult {
  ok: boolean;
  phase: 'planned' | 'dry-run' | 'apply' | 'prune' | 'health' | 'done';
  items: ItemResult[];
  errors: string[];
  writes: number;
  plan: SyncPlan;
}

async function readLive(cluster: ClusterPort, refs: ObjectRef[]): Promise<Map<string, KubeObject | undefined>> {
  const live = new Map<string, KubeObject | undefined>();
  const unique = [...new Map(refs.map((r) => [refKey(r), r])).values()];
  const got = await Promise.all(unique.map((r) => cluster.get(r)));
  unique.forEach((r, i) => live.set(refKey(r), got[i]));
  return live;
}

export async function planApp(
  opts: SyncOptions,
): Promise<{ plan: SyncPlan; desired: KubeObject[]; inventory: ObjectRef[] }> {
  // The hash is of the object as rendered: a runtime trait's writes never make it a new desired state.
  const rendered = opts.objects.map((o) => tracked(opts.scope, o));
  const [inventory, live] = await Promise.all([
    readInventory(opts.records ?? opts.cluster, opts.scope),
    readLive(opts.cluster, rendered.map(refOf)),
  ]);
  const gone = inventory.filter((r) => !live.has(refKey(r)));
  for (const [k, v] of await readLive(opts.cluster, gone)) live.set(k, v);
  const desired = withLiveFields(rendered, (r) => live.get(refKey(r)), opts.ownedFields ?? [], SYNC_FIELD_MANAGER);
  return {
    plan: planSync({
      scope: opts.scope,
      desired,
      live,
      inventory,
      prune: opts.prune ?? false,
      adopt: opts.adopt,
      allowEmpty: opts.allowEmpty,
      ignore: opts.ignore,
    }),
    desired,
    inventory,
  };
}

const changes = (plan: SyncPlan) =>
  plan.items.filter((i) => i.action === 'create' || i.action === 'update' || i.action === 'delete');

export async function syncApp(opts: SyncOptions): Promise<SyncResult> {
  const startWrites = opts.cluster.writes;
  const first = opts.planned ?? (await planApp(opts));
  const result = (
    ok: boolean,
    phase: SyncResult['phase'],
    items: ItemResult[],
    errors: string[],
    plan: SyncPlan,
  ): SyncResult => ({ ok, phase, items, errors, writes: opts.cluster.writes - startWrites, plan });
  if (first.plan.refused) return result(false, 'planned', [], [first.plan.refused], first.plan);
  if (changes(first.plan).length === 0 && sameInventory(first.inventory, first.desired.map(refOf))) {
    const items = first.plan.items.map((i) => ({ ref: i.ref, action: i.action, message: i.reason }));
    if (opts.wait) {
      const h = await waitHealthy(opts.cluster, first.desired, opts);
      if (!h.ok) return result(false, 'health', items, h.errors, first.plan);
    }
    return result(true, 'done', items, [], first.plan);
  }
  // Validate every change with the server before the first write (the lock Lease, a namespace):
  // bad input is refused with nothing written.
  const pre = await preValidate(opts.cluster, first.plan, first.desired, opts.force);
  if (pre.failures.length > 0)
    return result(
      false,
      'dry-run',
      pre.failures,
      pre.failures.map((f) => f.message),
      first.plan,
    );
  const lock = await acquireLock(opts.records ?? opts.cluster, opts.scope);
  try {
    const { plan, desired } = await planApp(opts);
    if (plan.refused) return result(false, 'planned', [], [plan.refused], plan);
    return await carryOut(opts, plan, desired, result, pre.checked);
  } catch (e) {
    return result(false, 'apply', [], [describe(e)], first.plan);
  } finally {
    // Best effort: with the API server gone the lease simply expires.
    await lock.release().catch(() => undefined);
  }
}

async function carryOut(
  opts: SyncOptions,
  plan: SyncPlan,
  desired: KubeObject[],
  result: (
    ok: boolean,
    phase: SyncResult['phase'],
    items: ItemResult[],
    errors: string[],
    plan: SyncPlan,
  ) => SyncResult,
  checked: ReadonlySet<string>,
): Promise<SyncResult> {
  const { cluster } = opts;
  const items: ItemResult[] = plan.items
    .filter((i) => i.action !== 'create' && i.action !== 'update' && i.action !== 'delete')
    .map((i) => ({ ref: i.ref, action: i.action, message: i.reason }));
  const { toApply, ofNewCrd, inNewNamespace } = changeSet(plan, desired);
  // The server cannot validate these before the CRDs / namespaces of this same sync exist.
  const deferred = (i: PlanItem) => ofNewCrd(i) || inNewNamespace(i);
  // 1. Validate everything the server can validate now (what the check before the lock already
  // validated, unchanged since, is not sent again); any failure and nothing is written.
  const failures = await dryRun(
    cluster,
    toApply.filter((i) => !deferred(i) && !checked.has(checkKey(i) ?? '')),
    opts.force,
  );
  if (failures.length > 0)
    return result(
      false,
      'dry-run',
      [...items, ...failures],
      failures.map((f) => f.message),
      plan,
    );
  // 2. CRDs and Namespaces, then what depends on those CRDs is validated too.
  const applied: ItemResult[] = [];
  const foundation = toApply.filter((i) => isFoundation(i.desired!));
  try {
    applied.push(...(await applyAll(cluster, foundation, opts.force)));
    if (foundation.length > 0) {
      const ready = await waitHealthy(
        cluster,
        foundation.map((i) => i.desired!),
        { ...opts, timeoutMs: opts.timeoutMs ?? 60_000 },
      );
      if (!ready.ok) return result(false, 'apply', [...items, ...applied], ready.errors, plan);
    }
    const late = await dryRun(cluster, toApply.filter(deferred), opts.force);
    if (late.length > 0)
      return result(
        false,
        'dry-run',
        [...items, ...applied, ...late],
        late.map((f) => f.message),
        plan,
      );
    // 3. The rest, component wave by component wave.
    const rest = toApply.filter((i) => !isFoundation(i.desired!));
    const { waves, error } = dependencyWaves(opts.components ?? []);
    if (error) return result(false, 'apply', [...items, ...applied], [error], plan);
    const waveOf = (i: PlanItem) => {
      const comp = i.desired!.metadata.labels?.['app.oam.dev/component'];
      const w = waves.findIndex((names) => comp !== undefined && names.includes(comp));
      return w < 0 ? 0 : w;
    };
    const lastWave = Math.max(0, waves.length - 1);
    for (let w = 0; w <= lastWave; w++) {
      const batch = rest.filter((i) => waveOf(i) === w);
      applied.push(...(await applyAll(cluster, batch, opts.force)));
      if (w < lastWave && batch.length > 0) {
        const wave = desired.filter(
          (d) => waveOf({ ref: refOf(d), action: 'update', reason: '', desired: d }) === w && !isFoundation(d),
        );
        const ready = await waitHealthy(cluster, wave, { ...opts, timeoutMs: opts.timeoutMs ?? 5 * 60_000 });
        if (!ready.ok)
          return result(
            false,
            'apply',
            [...items, ...applied],
            [`waiting for the dependencies of wave ${w + 2}: ${ready.errors.join('; ')}`],
            plan,
          );
      }
    }
  } catch (e) {
    return result(false, 'apply', [...items, ...applied], [describe(e)], plan);
  }
  // 4. Inventory, then prune what left the desired set. What is to be deleted stays in the inventory until it is
  // gone: a prune that fails (a right missing, the API server away) is tried again, never forgotten.
  const deletions = plan.items.filter((i) => i.action === 'delete').reverse();
  const records = opts.records ?? cluster;
  const wanted = desired.map(refOf);
  try {
    const during = [...wanted, ...deletions.map((d) => d.ref)];
    if (!sameInventory(await readInventory(records, opts.scope), during))
      await writeInventory(records, opts.scope, during);
  } catch (e) {
    return result(false, 'apply', [...items, ...applied], [`recording the inventory: ${describe(e)}`], plan);
  }
  try {
    for (const d of deletions) {
      await cluster.delete(d.ref);
      applied.push({ ref: d.ref, action: 'deleted', message: d.reason });
    }
    if (deletions.length > 0) await writeInventory(records, opts.scope, wanted);
  } catch (e) {
    return result(false, 'prune', [...items, ...applied], [describe(e)], plan);
  }
  if (opts.wait) {
    const h = await waitHealthy(cluster, desired, opts);
    if (!h.ok) return result(false, 'health', [...items, ...applied], h.errors, plan);
  }
  return result(true, 'done', [...items, ...applied], [], plan);
}

/** What a plan writes, and which of it the server cannot check before this sync's CRDs or namespaces exist. */
function changeSet(plan: SyncPlan, desired: KubeObject[]) {
  const toApply = plan.items.filter((i) => i.action === 'create' || i.action === 'update');
  const crdKinds = kindsFromCrds(desired);
  const newNamespaces = new Set(
    toApply.filter((i) => i.action === 'create' && i.ref.kind === 'Namespace').map((i) => i.ref.name),
  );
  return {
    toApply,
    ofNewCrd: (i: PlanItem) => crdKinds.has(`${groupOf(i.ref.apiVersion)}/${i.ref.kind}`),
    inNewNamespace: (i: { ref: ObjectRef }) => i.ref.namespace !== undefined && newNamespaces.has(i.ref.namespace),
  };
}

/** An object as validated: its ref and the hash of its desired state (none: never counted as checked). */
const checkKey = (i: PlanItem): string | undefined => {
  const hash = i.desired?.metadata.annotations?.[ANN_HASH];
  return hash === undefined ? undefined : `${formatRef(i.ref)}@${hash}`;
};

/**
 * A server-side dry-run of every create and update, before anything is written. Objects in a
 * namespace this sync creates are checked in "default" instead (the server needs the namespace to
 * exist; the object's schema and admission are the same); objects of CRDs this sync brings cannot be
 * checked yet and are checked after their CRDs, as before. Returns the failures and what passed
 * as it is (in its own namespace).
 */
async function preValidate(
  cluster: ClusterPort,
  plan: SyncPlan,
  desired: KubeObject[],
  force?: boolean,
): Promise<{ failures: ItemResult[]; checked: Set<string> }> {
  const { toApply, ofNewCrd, inNewNamespace } = changeSet(plan, desired);
  const checkable = toApply
    .filter((i) => !ofNewCrd(i))
    .map((i) =>
      inNewNamespace(i)
        ? { ...i, desired: { ...i.desired!, metadata: { ...i.desired!.metadata, namespace: 'default' } } }
        : i,
    );
  const failed = await dryRun(cluster, checkable, force);
  // A 404 for a substituted namespace means the check could not be made, not that the object is bad.
  const failures = failed
    .filter((f) => !(inNewNamespace(f) && /not found/i.test(f.message)))
    .map((f) =>
      inNewNamespace(f) ? { ...f, message: f.message.replace('/default/', `/${f.ref.namespace ?? ''}/`) } : f,
    );
  const bad = new Set(failed.map((f) => formatRef(f.ref)));
  const checked = new Set(
    toApply
      .filter((i) => !ofNewCrd(i) && !inNewNamespace(i) && !bad.has(formatRef(i.ref)))
      .map(checkKey)
      .filter((k): k is string => k !== undefined),
  );
  return { failures, checked };
}

function describe(e: unknown): string {
  if (e instanceof ClusterError) return `${e.message}${e.fields.length > 0 ? ` (field ${e.fields.join(', ')})` : ''}`;
  return (e as Error).message;
}

async function dryRun(cluster: ClusterPort, items: PlanItem[], force?: boolean): Promise<ItemResult[]> {
  const out = await Promise.all(
    items.map(async (i): Promise<ItemResult | undefined> => {
      try {
        await cluster.apply(i.desired!, { dryRun: true, force: force ?? false });
        return undefined;
      } catch (e) {
        return { ref: i.ref, action: 'failed', message: describe(e) };
      }
    }),
  );
  return out.filter((x): x is ItemResult => x !== undefined);
}

async function applyAll(cluster: ClusterPort, items: PlanItem[], force?: boolean): Promise<ItemResult[]> {
  return Promise.all(
    items.map(async (i) => {
      await cluster.apply(i.desired!, { force: force ?? false });
      return {
        ref: i.ref,
        action: i.action === 'create' ? ('created' as const) : ('configured' as const),
        message:
          `${formatRef(i.ref)} ${i.action === 'create' ? 'created' : 'configured'}` +
          `${i.drift ? ` (${i.reason})` : ''}`,
      };
    }),
  );
}
