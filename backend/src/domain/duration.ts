/**
 * Durations are written the way Prometheus writes them ("500ms", "10s", "5m",
 * "1h"), so a policy reads the same in YAML, JSON and PromQL.
 */

export const DURATION_PATTERN = '^[0-9]+(ms|s|m|h)$';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a duration string; throws on a malformed one (schemas reject those first). */
export function parseDuration(text: string): number {
  const match = /^([0-9]+)(ms|s|m|h)$/.exec(text);
  if (!match) throw new RangeError(`not a duration: "${text}" (use e.g. 500ms, 10s, 5m, 1h)`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** The shortest exact duration string for a number of milliseconds. */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms)}ms`;
}
