/**
 * A latency histogram's buckets from the raw samples of its `_bucket` series, for a reader that wants more
 * than `histogram_quantile`'s linear interpolation (the SLO autoscaler: src/traits/slo/quantile.ts). Pure.
 */
import type { Bucket, SampleSeries } from '../ports/metrics.js';

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
