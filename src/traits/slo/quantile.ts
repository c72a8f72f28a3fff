/**
 * A latency histogram's quantile read two ways from its buckets. `linearQuantile` is Prometheus's
 * `histogram_quantile`: linear within the bucket the quantile falls in, which reads a decaying tail high
 * (most of a bucket's requests sit near its lower bound), by up to half the bucket's width. `tailQuantile`
 * interpolates the tail's share (the requests slower than x) log-linearly within that bucket instead:
 * exact when the tail decays exponentially inside it, as a queue's latency does, and within the same bucket
 * as the linear read, so both agree on which side of a bucket bound the quantile lies. Pure.
 */
import type { Bucket } from '../../ports/metrics.js';

/** Where the q-quantile's rank falls: the bucket's bounds and the counts at them; undefined when it cannot. */
function locate(buckets: readonly Bucket[], q: number) {
  const total = buckets.at(-1);
  if (!total || total.le !== Number.POSITIVE_INFINITY || total.count <= 0 || !(q > 0 && q < 1)) return undefined;
  const rank = q * total.count;
  const i = buckets.findIndex((b) => b.count >= rank);
  const lower = i > 0 ? buckets[i - 1]! : { le: 0, count: 0 };
  return { rank, total: total.count, lower, upper: buckets[i]!, last: buckets.length - 2 };
}

/** The q-quantile (0–1) as Prometheus's `histogram_quantile` computes it, ms. */
export function linearQuantile(buckets: readonly Bucket[], q: number): number | undefined {
  const at = locate(buckets, q);
  if (!at) return undefined;
  const { rank, lower, upper } = at;
  if (upper.le === Number.POSITIVE_INFINITY) return buckets[at.last]?.le;
  const inside = upper.count - lower.count;
  return inside > 0 ? lower.le + ((upper.le - lower.le) * (rank - lower.count)) / inside : upper.le;
}

/**
 * The q-quantile (0–1), ms, with the share of requests slower than x interpolated log-linearly between the
 * bounds of the bucket the quantile falls in; the last finite bound when the quantile is in `+Inf`. When no
 * request of the window was slower than the bucket's upper bound, half a request is counted there (the
 * decay is then at least that steep; a count of 0, 0.5 or 2 moves the estimate by a few % of the bucket,
 * where reading linearly would put it near the bucket's middle).
 */
export function tailQuantile(buckets: readonly Bucket[], q: number): number | undefined {
  const at = locate(buckets, q);
  if (!at) return undefined;
  const { total, lower, upper } = at;
  if (upper.le === Number.POSITIVE_INFINITY) return buckets[at.last]?.le;
  const above = 1 - lower.count / total;
  const below = Math.max(1 - upper.count / total, 0.5 / total);
  const wanted = 1 - q;
  if (!(above > below && wanted < above && wanted > below)) return linearQuantile(buckets, q);
  return lower.le + ((upper.le - lower.le) * Math.log(above / wanted)) / Math.log(above / below);
}
