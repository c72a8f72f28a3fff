/**
 * The holds of one source's releases on one cluster, kept current from a watch on their ConfigMaps
 * (or, for a cluster port without watch, a list every `pollMs`). `ferry rollback` places a hold and
 * `ferry resume` deletes it: the controller hears of both within about a second, not at its next
 * poll. Each change is reported once, in order, with whether the hold was placed or lifted; a hold
 * placed and lifted within one listing gap (a lost watch connection) is not seen.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import { abortableSleep } from '../../util/sleep.js';
import type { KubeObject } from '../../objects/objects.js';
import { recordSelector, scopeOfLabels, SYSTEM_NAMESPACE } from './record-names.js';
import { holdOf, listHolds, type Hold } from './release-store.js';

export type HoldChange = { key: string; hold: Hold } | { key: string; hold: undefined };

export interface HoldWatchOptions {
  cluster: ClusterPort;
  source: string;
  onChange: (change: HoldChange) => void;
  onError?: (e: Error) => void;
  /** The list interval when the cluster port cannot watch. */
  pollMs?: number;
}

export class HoldWatch {
  private readonly holds = new Map<string, { hold: Hold; text: string }>();
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  /** True once the first listing is in. */
  listed = false;

  constructor(private readonly o: HoldWatchOptions) {}

  start(): void {
    const q = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: SYSTEM_NAMESPACE,
      labelSelector: recordSelector('hold', this.o.source),
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

  /** The hold in force for "app/env", as last seen. */
  get(key: string): Hold | undefined {
    return this.holds.get(key)?.hold;
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
      const h = holdOf(cm);
      if (!h) continue;
      seen.add(h.key);
      this.put(h.key, h.hold);
    }
    for (const key of [...this.holds.keys()]) if (!seen.has(key)) this.lift(key);
    this.listed = true;
  }

  private event(type: string, cm: KubeObject): void {
    if (type === 'DELETED') {
      const s = scopeOfLabels(cm.metadata.labels);
      if (s) this.lift(`${s.app}/${s.env}`);
      return;
    }
    const h = holdOf(cm);
    if (h) this.put(h.key, h.hold);
  }

  private put(key: string, hold: Hold): void {
    const text = JSON.stringify(hold);
    if (this.holds.get(key)?.text === text) return;
    this.holds.set(key, { hold, text });
    this.o.onChange({ key, hold });
  }

  private lift(key: string): void {
    if (!this.holds.delete(key)) return;
    this.o.onChange({ key, hold: undefined });
  }
}

/** The hold watches of one source's releases, one per cluster they live on. */
export class SourceHolds {
  private readonly watches = new Map<ClusterPort, HoldWatch>();

  constructor(
    private readonly o: {
      source: string;
      onChange: (cluster: ClusterPort, change: HoldChange) => void;
      onError: (e: Error) => void;
    },
  ) {}

  /** Starts watching a cluster's holds (once). */
  watch(cluster: ClusterPort): void {
    if (this.watches.has(cluster)) return;
    const w = new HoldWatch({
      cluster,
      source: this.o.source,
      onChange: (c) => this.o.onChange(cluster, c),
      onError: this.o.onError,
    });
    this.watches.set(cluster, w);
    w.start();
  }

  /** The holds in force on a cluster: as watched, or listed while its watch has not listed yet. */
  async on(cluster: ClusterPort): Promise<{ get(key: string): Hold | undefined }> {
    const w = this.watches.get(cluster);
    return w?.listed ? w : listHolds(cluster, this.o.source);
  }

  async stop(): Promise<void> {
    const all = [...this.watches.values()];
    this.watches.clear();
    await Promise.all(all.map((w) => w.stop()));
  }
}

/**
 * What a release's machine is sent about its hold: HOLD when one is in force for its spec (a hold
 * placed for an older spec was ended by the commit that changed it), RESUME when a held machine's
 * hold is gone, and POLL when a hold was lifted from a synced machine that never heard of it (placed
 * and lifted in between): the rollback it came with may still be applied, so the newest commit is
 * applied again (nothing is written when the cluster has it).
 */
export function holdEvent(
  state: string | undefined,
  hold: Hold | undefined,
  specDigest: string | undefined,
  lifted: boolean,
): 'HOLD' | 'RESUME' | 'POLL' | undefined {
  if (hold)
    return state !== 'held' && (hold.specDigest === undefined || hold.specDigest === specDigest) ? 'HOLD' : undefined;
  if (state === 'held') return 'RESUME';
  return lifted && state === 'synced' ? 'POLL' : undefined;
}
