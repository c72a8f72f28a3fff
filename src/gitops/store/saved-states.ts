/**
 * A controller's saved states on its clusters: this source's, listed once per cluster while a layout
 * brings new releases (one list instead of a read per release at start), after the unscoped records
 * that name this source were adopted (once per start; see record-migration.ts). An unscoped state
 * that names no source is adopted when this source declares its (app, environment).
 */
import type { ClusterPort } from '../../ports/cluster.js';
import { adoptRecords, adoptSourceRecords } from './record-migration.js';
import { readAllStates, readState, type SavedState } from './release-store.js';
import type { Log } from '../../ports/log.js';

export class SavedStates {
  private listings = new Map<ClusterPort, Promise<Map<string, SavedState>>>();
  /** Per cluster, once per start: the "app/env" of the unscoped states that name no source. */
  private unclaimed = new Map<ClusterPort, Promise<Set<string>>>();

  constructor(
    private readonly source: string,
    private readonly log: Log,
  ) {}

  /** This source's saved states of a cluster by "app/env"; undefined when the listing failed. */
  on(cluster: ClusterPort): Promise<Map<string, SavedState> | undefined> {
    let all = this.listings.get(cluster);
    if (!all) this.listings.set(cluster, (all = this.adopt(cluster).then(() => readAllStates(cluster, this.source))));
    return all.catch(() => undefined);
  }

  /** The saved state of (app, env): this source's, or an unscoped one that names no source, adopted now. */
  async of(cluster: ClusterPort, scope: { app: string; env: string }): Promise<SavedState> {
    const mine = { ...scope, source: this.source };
    const listed = await this.on(cluster);
    if (!listed) return readState(cluster, mine);
    const saved = listed.get(`${scope.app}/${scope.env}`);
    if (saved) return saved;
    const unclaimed = await this.adopt(cluster).catch(() => new Set<string>());
    if (!unclaimed.delete(`${scope.app}/${scope.env}`)) return {};
    await adoptRecords(cluster, mine);
    this.log.info(
      { ...scope, source: this.source },
      'adopted records that name no source (this source declares the app)',
    );
    return readState(cluster, mine);
  }

  /** After a layout: the next one lists again. */
  forgetListings(): void {
    this.listings.clear();
  }

  /** A stopped controller: a later start adopts and lists afresh. */
  reset(): void {
    this.listings.clear();
    this.unclaimed.clear();
  }

  private adopt(cluster: ClusterPort): Promise<Set<string>> {
    let done = this.unclaimed.get(cluster);
    if (!done) {
      done = adoptSourceRecords(cluster, this.source).then(({ adopted, unclaimed }) => {
        if (adopted.length > 0)
          this.log.info(
            { releases: adopted, source: this.source },
            'adopted records written before they were scoped by source',
          );
        return unclaimed;
      });
      this.unclaimed.set(cluster, done);
      done.catch(() => this.unclaimed.delete(cluster));
    }
    return done;
  }
}
