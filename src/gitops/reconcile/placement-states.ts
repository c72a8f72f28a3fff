/**
 * Where each placement of a release on several clusters stands (release/waves.ts): the commit it runs and
 * the one rolling out to it. Kept on the release, written with its state, read back after a restart (a wave
 * resumes where it was: the clusters that verified the commit are not rolled again).
 */
import type { PlacementState } from '../store/state-summary.js';
import type { Release, Rendered } from './release.js';

/** The release's placement states for this render (wave order), keeping what each cluster ran. */
export function placementsFor(r: Release, rendered: Rendered): PlacementState[] | undefined {
  if (rendered.placements.length < 2) {
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

/** A change to one cluster's state (commit: it runs that now; rolling: rolling out to it, or undefined). */
export function setPlacement(r: Release, cluster: string, change: { commit?: string; rolling?: string }): void {
  const p = r.placements?.find((x) => x.cluster === cluster);
  if (!p) return;
  if (change.commit !== undefined) p.commit = change.commit;
  if ('rolling' in change) {
    if (change.rolling === undefined) delete p.rolling;
    else p.rolling = change.rolling;
  }
}

/** Every cluster runs `commit` (the release synced). */
export function settlePlacements(r: Release, commit: string | undefined): void {
  if (commit === undefined) return;
  for (const p of r.placements ?? []) {
    p.commit = commit;
    delete p.rolling;
  }
}
