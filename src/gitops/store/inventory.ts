/** The inventory of what Ferry applied for one (app, environment): a record in ferry-system, gzipped. */
import { type ObjectRef, refKey } from '../../objects/objects.js';
import type { ClusterPort } from '../../ports/cluster.js';
import { ensureSystemNamespace, gzipEntry, putRecord, readGzip, readRecord } from './codec.js';
import { type RecordScope, recordRef, SYSTEM_NAMESPACE } from './record-names.js';

export { ensureSystemNamespace, SYSTEM_NAMESPACE };

const ENTRY = 'refs.json.gz';

/** ferry-inventory.<source>.<app>.<env> (ferry-inventory.<app>.<env> without a source: `ferry apply`). */
export const inventoryRef = (scope: RecordScope): ObjectRef => recordRef('inventory', scope);

export async function readInventory(cluster: ClusterPort, scope: RecordScope): Promise<ObjectRef[]> {
  return readGzip<ObjectRef[]>(await readRecord(cluster, 'inventory', scope), ENTRY) ?? [];
}

export const sameInventory = (a: ObjectRef[], b: ObjectRef[]) =>
  a.length === b.length && a.every((r, i) => refKey(r) === refKey(b[i]!));

export async function writeInventory(cluster: ClusterPort, scope: RecordScope, refs: ObjectRef[]): Promise<void> {
  await putRecord(cluster, 'inventory', scope, gzipEntry(ENTRY, refs));
}
