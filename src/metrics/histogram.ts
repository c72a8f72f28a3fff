/**
 * A latency histogram's buckets from the raw samples of its `_bucket` series, and its quantile read two
 * ways from them. `linearQuantile` is Prometheus's `histogram_quantile`: linear within the bucket the
 * quantile falls in, which reads a decaying tail high (most of a bucket's requests sit near its lower
 * bound), by up to half the bucket's width. `tailQuantile` interpolates the tail's share (the requests
 * slower than x) log-linearly within that bucket instead: exact when the tail decays exponentially inside
 * it, as a queue's latency does, and within the same bucket as the linear read, so both agree on which side
 * of a bucket bound the quantile lies. Pure.
 */
import type { SampleSeries } from '../ports/metrics.js';

/** One bucket: its upper bound (ms; Infinity for `+Inf`) and the requests at or under it (cumulative). */
export interface Bucket {
  le: number;
  count: number;
}

/**
 * The buckets of a window of raw `_bucket` samples: each series' increase over the window (a counter reset
 * counted from 0), summed by `le` and made cumulative-monotone; `scale` converts a bound to ms (1000 for
 * seconds). Undefined without a bucket or without a request.
 */
export function bucketsOf(series: readonly SampleSeries[], scale: number): Bucket[] | undefined {
  const byLe = new Map<number, number>();
  for (const s of series) {
    const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
    if (Number.isNaN(le)) continue;
    let increase = 0;
    for (let i = 1; i < s.points.length; i++) {
      const [prev, now] = [s.points[i - 1]![1], s.points[i]![1]];
      increase += now >= prev ? now - prev : now;
    }
    byLe.set(le, (byLe.get(le) ?? 0) + increase);
  }
  const buckets = [...byLe]
    .map(([le, count]) => ({ le: le === Number.POSITIVE_INFINITY ? le : le * scale, count }))
    .sort((a, b) => a.le - b.le);
  for (let i = 1; i < buckets.length; i++) buckets[i]!.count = Math.max(buckets[i]!.count, buckets[i - 1]!.count);
  const total = buckets.at(-1);
  return total && total.le === Number.POSITIVE_INFINITY && total.count > 0 ? buckets : undefined;
}

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
