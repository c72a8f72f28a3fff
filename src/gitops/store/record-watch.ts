/**
 * One kind of one source's records on one cluster, kept current from a watch on their ConfigMaps (or, for
 * a cluster port without watch, a list every `pollMs`): what the command line writes (`ferry rollback`'s
 * holds, `ferry approve`'s approvals) reaches the controller within about a second, and costs no read per
 * release and poll. Each change is reported once, in order; a record written and deleted within one listing
 * gap (a lost watch connection) is not seen.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import { abortableSleep } from '../../util/sleep.js';
import type { KubeObject } from '../../objects/objects.js';
import { type RecordKind, recordSelector, scopeOfLabels, SYSTEM_NAMESPACE } from './record-names.js';

/** A record as its watch reads it: the release it is about ("app/env") and its value. */
export type RecordOf<T> = (cm: KubeObject) => { key: string; value: T } | undefined;

export interface RecordChange<T> {
  key: string;
  /** undefined: the record was deleted. */
  value: T | undefined;
}

export interface RecordWatchOptions<T> {
  cluster: ClusterPort;
  source: string;
  kind: RecordKind;
  read: RecordOf<T>;
  onChange: (change: RecordChange<T>) => void;
  onError?: (e: Error) => void;
  /** The list interval when the cluster port cannot watch. */
  pollMs?: number;
}

export class RecordWatch<T> {
  private readonly records = new Map<string, { value: T; text: string }>();
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  /** True once the first listing is in. */
  listed = false;

  constructor(private readonly o: RecordWatchOptions<T>) {}

  start(): void {
    const q = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: SYSTEM_NAMESPACE,
      labelSelector: recordSelector(this.o.kind, this.o.source),
    };
    const handlers = {
      reset: (items: KubeObject[]) => this.reset(items),
      event: (type: string, obj: KubeObject) => this.event(type, obj),
      error: (e: Error) => this.o.onError?.(e),
    };
    this.running = this.o.cluster.watch
      ? this.o.cluster.watch(q, handlers, this.abort.signal)
      : this.poll(q.labelSelector);
    this.running = this.running.catch((e: unknown) => this.o.onError?.(e as Error));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** The record of "app/env", as last seen. */
  get(key: string): T | undefined {
    return this.records.get(key)?.value;
  }

  private async poll(selector: string): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        this.reset(await this.o.cluster.list('v1', 'ConfigMap', SYSTEM_NAMESPACE, selector));
      } catch (e) {
        this.o.onError?.(e as Error);
      }
      await abortableSleep(this.o.pollMs ?? 1000, this.abort.signal);
    }
  }

  private reset(items: KubeObject[]): void {
    const seen = new Set<string>();
    for (const cm of items) {
      const r = this.o.read(cm);
      if (!r) continue;
      seen.add(r.key);
      this.put(r.key, r.value);
    }
    for (const key of [...this.records.keys()]) if (!seen.has(key)) this.drop(key);
    this.listed = true;
  }

  private event(type: string, cm: KubeObject): void {
    if (type === 'DELETED') {
      const s = scopeOfLabels(cm.metadata.labels);
      if (s) this.drop(`${s.app}/${s.env}`);
      return;
    }
    const r = this.o.read(cm);
    if (r) this.put(r.key, r.value);
  }

  private put(key: string, value: T): void {
    const text = JSON.stringify(value);
    if (this.records.get(key)?.text === text) return;
    this.records.set(key, { value, text });
    this.o.onChange({ key, value });
  }

  private drop(key: string): void {
    if (!this.records.delete(key)) return;
    this.o.onChange({ key, value: undefined });
  }
}

/** The watches of one kind of one source's records, one per cluster they live on. */
export class SourceRecords<T> {
  private readonly watches = new Map<ClusterPort, RecordWatch<T>>();

  constructor(
    private readonly o: {
      source: string;
      kind: RecordKind;
      read: RecordOf<T>;
      onChange: (cluster: ClusterPort, change: RecordChange<T>) => void;
      onError: (e: Error) => void;
    },
  ) {}

  /** Starts watching a cluster's records (once). */
  watch(cluster: ClusterPort): void {
    if (this.watches.has(cluster)) return;
    const w = new RecordWatch<T>({
      cluster,
      source: this.o.source,
      kind: this.o.kind,
      read: this.o.read,
      onChange: (c) => this.o.onChange(cluster, c),
      onError: this.o.onError,
    });
    this.watches.set(cluster, w);
    w.start();
  }

  /** The records on a cluster: as watched, or listed now while its watch has not listed yet (or runs none). */
  async on(cluster: ClusterPort): Promise<{ get(key: string): T | undefined }> {
    const w = this.watches.get(cluster);
    if (w?.listed) return w;
    const out = new Map<string, T>();
    for (const cm of await cluster.list(
      'v1',
      'ConfigMap',
      SYSTEM_NAMESPACE,
      recordSelector(this.o.kind, this.o.source),
    )) {
      const r = this.o.read(cm);
      if (r) out.set(r.key, r.value);
    }
    return out;
  }

  async stop(): Promise<void> {
    const all = [...this.watches.values()];
    this.watches.clear();
    await Promise.all(all.map((w) => w.stop()));
  }
}
