import { failed, reading } from '../domain/gates/observation.ts';
import type { Scalar, VectorSample } from './scalar.ts';
import { oneValue } from './scalar.ts';

/**
 * Grafana's unified query answer (`POST /api/ds/query`): `results.<refId>`
 * holds either `frames` or an `error`. Frames are columnar: `schema.fields`
 * describes each column, `data.values` holds one array per column. JSON has
 * no NaN or infinities, so those values are written as null and listed in
 * `data.entities` (one entry per column, null or `{ NaN, Inf, NegInf }`
 * arrays of row positions).
 *
 * One failed query turns the whole answer into HTTP 400 with the error in
 * `results.<refId>.error`, which is where the reason is read from.
 */

interface FieldSchema {
  name?: string;
  type?: string;
  labels?: Record<string, string>;
}

/** Shapes as they should be; every access is checked, for the body is not trusted. */
interface Frame {
  schema?: { fields?: FieldSchema[] };
  data?: { values?: unknown[]; entities?: unknown[] };
}

interface QueryResult {
  frames?: unknown;
  error?: unknown;
}

/** The result for `refId` in an answer body, or why there is none. */
export function resultOf(
  body: unknown,
  refId: string
): { ok: true; result: QueryResult } | { ok: false; reason: string } {
  const results = (body as { results?: Record<string, QueryResult> } | null)?.results;
  const result = results?.[refId];
  if (typeof result !== 'object' || result === null)
    return { ok: false, reason: `Grafana answered no result for query ${refId}` };
  if (typeof result.error === 'string' && result.error !== '') {
    return { ok: false, reason: `the data source answered an error: ${result.error}` };
  }
  return { ok: true, result };
}

/**
 * An instant answer's frames as one number: every number column is one
 * series (its labels say which), its value the last row's. No number column
 * at all, no rows, or a last row that is null without an entity, is no series.
 */
export function frameScalar(result: { frames?: unknown }, what: string): Scalar {
  if (result.frames !== undefined && !Array.isArray(result.frames))
    return failed(`Grafana answered frames that are not a list for ${what}`);
  const samples: VectorSample[] = [];
  for (const frame of (result.frames ?? []) as Frame[]) {
    const fields = Array.isArray(frame?.schema?.fields) ? frame.schema.fields : [];
    const columns = Array.isArray(frame?.data?.values) ? frame.data.values : [];
    const entities = Array.isArray(frame?.data?.entities) ? frame.data.entities : [];
    for (let i = 0; i < fields.length; i++) {
      if (fields[i]?.type !== 'number') continue;
      const column = columns[i];
      if (!Array.isArray(column)) return failed(`Grafana answered a frame without values for ${what}`);
      if (column.length === 0) continue;
      const row = column.length - 1;
      const value = restore(column[row], row, entities[i]);
      // A null that no entity explains is a missing point: that series has no value.
      if (value === null) continue;
      samples.push({ metric: fields[i]?.labels ?? {}, raw: value });
    }
  }
  return samples.length === 0 ? reading(null) : oneValue(samples, what);
}

/** A cell's value, with NaN and infinities put back from the column's entities. */
export function restore(cell: unknown, row: number, entities: unknown): unknown {
  if (cell !== null) return cell;
  const listed = (key: 'NaN' | 'Inf' | 'NegInf') => {
    const rows = (entities as Record<string, unknown> | null | undefined)?.[key];
    return Array.isArray(rows) && rows.includes(row);
  };
  if (listed('NaN')) return Number.NaN;
  if (listed('Inf')) return Number.POSITIVE_INFINITY;
  if (listed('NegInf')) return Number.NEGATIVE_INFINITY;
  return null;
}
