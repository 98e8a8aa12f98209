/**
 * JSON that reads back exactly what was written, numbers included.
 *
 * Plain JSON turns Infinity and NaN into null and -0 into 0, yet a verdict's
 * observed value can be an infinity (a latency past the last histogram
 * bucket). Such numbers are written as `{"$sentra": "Infinity"}`. An object
 * that really has `$sentra` as its only key is written as
 * `{"$sentra": [value]}`, so every object reads back as it was.
 *
 * As with plain JSON, properties whose value is `undefined` are left out.
 */

const TAG = '$sentra';

export function encodeJson(value: unknown): string {
  return JSON.stringify(value, replace);
}

export function decodeJson<T = unknown>(text: string): T {
  return JSON.parse(text, revive) as T;
}

function replace(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0))) {
    return { [TAG]: Object.is(value, -0) ? '-0' : String(value) };
  }
  if (isTagged(value)) return { [TAG]: [value[TAG]] };
  return value;
}

function revive(_key: string, value: unknown): unknown {
  if (!isTagged(value)) return value;
  const inner = value[TAG];
  if (typeof inner === 'string') return Number(inner);
  if (Array.isArray(inner) && inner.length === 1) return { [TAG]: inner[0] };
  return value;
}

function isTagged(value: unknown): value is Record<typeof TAG, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === TAG;
}
