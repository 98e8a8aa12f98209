import type { Histogram } from '../domain/gates/observation.ts';

/**
 * Estimates the q-quantile of a cumulative histogram with the same rules as
 * Prometheus's `histogram_quantile`, so a latency gate reads the same number
 * whichever provider answers it:
 * - the rank `q × count` is looked up among the bucket counts, and the value
 *   is interpolated linearly inside the first bucket that reaches it, the
 *   lowest bucket starting at 0 (or at its own bound when that is not above 0);
 * - a rank that only the +Inf bucket reaches gives the highest finite bound;
 * - NaN for an empty histogram, fewer than two buckets or no +Inf bucket;
 *   -Infinity below q = 0 and +Infinity above q = 1;
 * - counts that go down from one bucket to the next (a scrape racing with
 *   requests) are raised to the count before them.
 */
export function histogramQuantile(q: number, histogram: Histogram): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;

  const buckets = [...histogram.buckets].sort((a, b) => a.le - b.le);
  if (buckets.length < 2 || buckets[buckets.length - 1]!.le !== Infinity) return NaN;
  let highest = 0;
  const counts = buckets.map((bucket) => (highest = Math.max(highest, bucket.count)));
  const total = counts[counts.length - 1]!;
  if (total === 0) return NaN;

  const rank = q * total;
  // The +Inf bucket holds every request, so some bucket always reaches the rank.
  const index = counts.findIndex((count) => count >= rank);
  if (index === counts.length - 1) return buckets[buckets.length - 2]!.le;
  const upper = buckets[index]!.le;
  if (index === 0 && upper <= 0) return upper;

  const lower = index === 0 ? 0 : buckets[index - 1]!.le;
  const below = index === 0 ? 0 : counts[index - 1]!;
  return lower + (upper - lower) * ((rank - below) / (counts[index]! - below));
}
