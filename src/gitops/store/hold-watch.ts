/**
 * The holds of one source's releases on one cluster, kept current from a watch on their ConfigMaps
 * (or, for a cluster port without watch, a list every `pollMs`). `ferry rollback` places a hold and
 * `ferry resume` deletes it: the controller hears of both within about a second, not at its next
 * poll. Each change is reported once, in order, with whether the hold was placed or lifted; a hold
 * placed and lifted within one listing gap (a lost watch connection) is not seen.
 */
import type { ClusterPort } from '../../ports/cluster.js';
import { holdOf, type Hold } from './release-store.js';
import { type RecordChange, RecordWatch, SourceRecords } from './record-watch.js';

export type HoldChange = { key: string; hold: Hold } | { key: string; hold: undefined };

export interface HoldWatchOptions {
  cluster: ClusterPort;
  source: string;
  onChange: (change: HoldChange) => void;
  onError?: (e: Error) => void;
  /** The list interval when the cluster port cannot watch. */
  pollMs?: number;
}

const readHold = (cm: Parameters<typeof holdOf>[0]) => {
  const h = holdOf(cm);
  return h && { key: h.key, value: h.hold };
};
const asHoldChange = (c: RecordChange<Hold>): HoldChange => ({ key: c.key, hold: c.value }) as HoldChange;

/** The holds of one source's releases on one cluster (record-watch.ts). */
export class HoldWatch extends RecordWatch<Hold> {
  constructor(o: HoldWatchOptions) {
    super({ ...o, kind: 'hold', read: readHold, onChange: (c) => o.onChange(asHoldChange(c)) });
  }
}

/** The hold watches of one source's releases, one per cluster they live on. */
export class SourceHolds extends SourceRecords<Hold> {
  constructor(o: {
    source: string;
    onChange: (cluster: ClusterPort, change: HoldChange) => void;
    onError: (e: Error) => void;
  }) {
    super({
      source: o.source,
      kind: 'hold',
      read: readHold,
      onChange: (cluster, c) => o.onChange(cluster, asHoldChange(c)),
      onError: o.onError,
    });
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
