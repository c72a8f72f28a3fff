/**
 * Waves: the order in which a release's placements (its topology's clusters) take a new commit, one after
 * the other. ferry.yaml's `waves` of the environment names the clusters that go first, in order; the
 * clusters it does not name follow in the topology's order. A name the topology does not place is an
 * error (a typo would otherwise change nothing, silently).
 */
import { fail, ok, problem, type Result } from '../../oam/errors.js';
import type { PlacementState } from '../store/state-summary.js';

/** The placements' indices in wave order. */
export function waveOrder(
  placements: readonly { cluster: string }[],
  declared: readonly string[] | undefined,
  where: { env: string; app: string; at?: { file: string; line: number; column: number } },
): Result<number[]> {
  const clusters = placements.map((p) => p.cluster);
  const unknown = (declared ?? []).filter((c) => !clusters.includes(c));
  if (unknown.length > 0)
    return fail([
      problem(
        'PolicyInvalid',
        `ferry.yaml: environment "${where.env}" has waves ${unknown.map((c) => `"${c}"`).join(', ')}, which ` +
          `Application "${where.app}" does not place in it (its clusters there: ${clusters.join(', ')})`,
        where.at ?? { file: 'ferry.yaml', line: 1, column: 1 },
      ),
    ]);
  const first = (declared ?? []).map((c) => clusters.indexOf(c));
  return ok([...first, ...clusters.map((_, k) => k).filter((k) => !first.includes(k))]);
}

/**
 * The clusters a failure of `commit` rolls back: those that took it (verified there, or rolling out), and those an
 * earlier commit's wave left mid-way (superseded while rolling out there).
 */
export const tookCommit = (states: readonly PlacementState[], commit: string): string[] =>
  states.filter((p) => p.commit === commit || p.rolling !== undefined).map((p) => p.cluster);

/**
 * The clusters an aborted delivery of `commit` rolls back: the earlier waves, which verified it, and those an
 * earlier commit's wave left mid-way; not the aborting cluster, whose trait kept its stable version.
 */
export const verifiedOrStale = (states: readonly PlacementState[], commit: string): string[] =>
  states.filter((p) => p.commit === commit || (p.rolling !== undefined && p.rolling !== commit)).map((p) => p.cluster);
