import { parseDuration } from '../domain/duration.ts';

/** How a replay's `from` and `to` may be written, for error messages. */
export const INSTANT_HELP =
  'an ISO 8601 time with a zone (2026-01-31T12:00:00Z), "now", or a time before now such as -30m';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)$/i;
const RELATIVE = /^-([0-9]+(ms|s|m|h))$/;

/**
 * An instant as epoch milliseconds, from `now`, a time before now (`-90s`,
 * `-15m`, `-2h`), an ISO 8601 time with a zone, or epoch milliseconds. A time
 * without a zone is refused rather than read in the machine's local zone.
 * Null when the text is none of these.
 */
export function parseInstant(input: string | number, now: number): number | null {
  if (typeof input === 'number') return Number.isSafeInteger(input) && input >= 0 ? input : null;
  const text = input.trim();
  if (text === 'now') return now;
  const relative = RELATIVE.exec(text);
  if (relative) return now - parseDuration(relative[1]!);
  if (!ISO.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}
