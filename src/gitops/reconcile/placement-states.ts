/**
 * Where each placement of a release on several clusters stands (release/waves.ts): the commit it runs and
 * the one rolling out to it. Kept on the release, written with its state, read back after a restart (a wave
 * resumes where it was: the clusters that verified the commit are not rolled again).
 */
import type { PlacementState } from '../store/state-summary.js';
import type { Release, Rendered } from './release.js';

/** The release's placement states for this render (wave order), keeping what each cluster ran. */
export function placementsFor(r: Release, rendered: Rendered): PlacementState[] | undefined {
  const several = rendered.placements.length > 1;
  const clusters = new Set(rendered.placements.map((p) => p.cluster));
  // The trait states of clusters it no longer has (or of every cluster, down to one placement) go.
  for (const [key, t] of r.traits) if (t.placement && (!several || !clusters.has(t.placement))) r.traits.delete(key);
  if (!several) {
    r.placements = undefined;
    return undefined;
  }
  const before = new Map((r.placements ?? []).map((p) => [p.cluster, p]));
  r.placements = rendered.waves.map((k) => {
    const cluster = rendered.placements[k]!.cluster;
    return before.get(cluster) ?? { cluster };
  });
  return r.placements;
}

/** Whether a cluster of the release verified `commit` (always false on a release with one placement). */
export const verifiedOn = (r: Release, cluster: string, commit: string | undefined): boolean =>
  commit !== undefined && r.placements?.find((p) => p.cluster === cluster)?.commit === commit;

/** Every cluster runs `commit` (the release synced, or a rollback re-applied it everywhere). */
export function placeAll(r: Release, commit: string): void {
  for (const p of r.placements ?? []) {
    p.commit = commit;
    delete p.rolling;
  }
}

/** A change to one cluster's state (commit: it runs that now; rolling: rolling out to it, or undefined). */
export function setPlacement(
  r: Release,
  cluster: string,
  change: { commit?: string; rolling?: string },
  onlyIfRolling?: string,
): void {
  const p = r.placements?.find((x) => x.cluster === cluster);
  // A wave that a newer commit superseded leaves the newer one's marks alone.
  if (!p || (onlyIfRolling !== undefined && p.rolling !== onlyIfRolling)) return;
  if (change.commit !== undefined) p.commit = change.commit;
  if ('rolling' in change) {
    if (change.rolling === undefined) delete p.rolling;
    else p.rolling = change.rolling;
  }
}
