/** The inventory of what Ferry applied for one (app, environment): a ConfigMap in ferry-system, gzipped. */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ClusterPort } from '../../ports/cluster.js';
import { refKey, type KubeObject, type ObjectRef } from '../../objects/objects.js';
import { recordLabels, recordRef, SYSTEM_NAMESPACE } from '../release/record-names.js';
import type { SyncScope } from './tracking.js';

export { SYSTEM_NAMESPACE };

/** ferry-inventory.<source>.<app>.<env> (source "cli" for `ferry apply`; unscoped: records from before sources). */
export const inventoryRef = (scope: SyncScope): ObjectRef => recordRef('inventory', scope);

export async function readInventory(cluster: ClusterPort, scope: SyncScope): Promise<ObjectRef[]> {
  const cm = await cluster.get(inventoryRef(scope));
  const data = (cm?.binaryData as Record<string, string> | undefined)?.['refs.json.gz'];
  return data ? (JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as ObjectRef[]) : [];
}

export const sameInventory = (a: ObjectRef[], b: ObjectRef[]) =>
  a.length === b.length && a.every((r, i) => refKey(r) === refKey(b[i]!));

export async function ensureSystemNamespace(cluster: ClusterPort): Promise<void> {
  if (await cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: SYSTEM_NAMESPACE })) return;
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } });
}

export async function writeInventory(cluster: ClusterPort, scope: SyncScope, refs: ObjectRef[]): Promise<void> {
  await ensureSystemNamespace(cluster);
  const ref = inventoryRef(scope);
  const cm: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: ref.name, namespace: SYSTEM_NAMESPACE, labels: recordLabels('inventory', scope) },
    binaryData: { 'refs.json.gz': gzipSync(JSON.stringify(refs)).toString('base64') },
  };
  await cluster.apply(cm, { force: true });
}
