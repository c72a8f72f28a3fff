/**
 * The one codec of what Ferry keeps in ferry-system: a ConfigMap per record, named and labelled by
 * record-names.ts, holding JSON entries in `data` (small, readable with kubectl) or gzipped JSON in
 * `binaryData` (history, inventory: they grow with the manifests). Writes are server-side applies that
 * create the namespace first when it is missing.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { KubeObject } from '../../objects/objects.js';
import type { ClusterPort } from '../../ports/cluster.js';
import { type RecordKind, type RecordScope, recordLabels, recordRef, SYSTEM_NAMESPACE } from './record-names.js';

export type RecordBody = { data?: Record<string, string>; binaryData?: Record<string, string> };

/** A JSON entry (`data`). */
export const jsonEntries = (entries: Record<string, unknown>): RecordBody => ({
  data: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, JSON.stringify(v)])),
});

/** A gzipped JSON entry (`binaryData`, base64). */
export const gzipEntry = (key: string, value: unknown): RecordBody => ({
  binaryData: { [key]: gzipSync(JSON.stringify(value)).toString('base64') },
});

/** A JSON entry of a record; undefined when absent or not JSON. */
export function readJson<T>(cm: KubeObject | undefined, key: string): T | undefined {
  const text = (cm?.data as Record<string, string> | undefined)?.[key];
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** A gzipped JSON entry of a record; undefined when absent. */
export function readGzip<T>(cm: KubeObject | undefined, key: string): T | undefined {
  const data = (cm?.binaryData as Record<string, string> | undefined)?.[key];
  return data ? (JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as T) : undefined;
}

/** A release's record of one kind, as a ConfigMap. */
export const recordConfigMap = (kind: RecordKind, s: RecordScope, body: RecordBody): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: recordRef(kind, s).name, namespace: SYSTEM_NAMESPACE, labels: recordLabels(kind, s) },
  ...body,
});

export async function ensureSystemNamespace(cluster: ClusterPort): Promise<void> {
  if (await cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: SYSTEM_NAMESPACE })) return;
  await cluster.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: SYSTEM_NAMESPACE } });
}

/** Server-side apply, creating ferry-system first when it is missing. */
export async function writeRecord(cluster: ClusterPort, obj: KubeObject): Promise<void> {
  try {
    await cluster.apply(obj, { force: true });
  } catch (e) {
    if ((e as { status?: number }).status !== 404) throw e;
    await ensureSystemNamespace(cluster);
    await cluster.apply(obj, { force: true });
  }
}

/** Reads one record of a release. */
export const readRecord = (cluster: ClusterPort, kind: RecordKind, s: RecordScope) => cluster.get(recordRef(kind, s));

/** Writes one record of a release. */
export const putRecord = (cluster: ClusterPort, kind: RecordKind, s: RecordScope, body: RecordBody) =>
  writeRecord(cluster, recordConfigMap(kind, s, body));
