import Type from 'typebox';
import { Value } from 'typebox/value';

/**
 * A small client for the part of Grafana's HTTP API that Sentra writes to:
 * organization annotations under `/api/annotations` (the legacy `/api` routes,
 * still served unchanged by Grafana 13). Every request carries a service
 * account token and is cut off after `timeoutMs`.
 */

/** One annotation as Grafana lists it; fields Sentra does not read are left out. */
const FoundAnnotation = Type.Object({
  id: Type.Integer(),
  time: Type.Number(),
  timeEnd: Type.Optional(Type.Number()),
  text: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
});
export type FoundAnnotation = Type.Static<typeof FoundAnnotation>;

const FoundList = Type.Array(FoundAnnotation);
const Created = Type.Object({ id: Type.Integer() });

export interface NewAnnotation {
  time: number;
  /** Set for a region; a point annotation leaves it out. */
  timeEnd?: number;
  text: string;
  tags: string[];
}

export interface AnnotationPatch {
  timeEnd?: number;
  text?: string;
}

export interface AnnotationsClientOptions {
  /** Grafana's root URL, sub-path included when Grafana is served under one. */
  url: string;
  token: string;
  orgId?: number;
  timeoutMs: number;
}

/**
 * Why a request to Grafana failed. `status` is the HTTP status when Grafana
 * answered, null when it did not (refused, reset, timed out).
 */
export class GrafanaError extends Error {
  readonly status: number | null;

  constructor(message: string, status: number | null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GrafanaError';
    this.status = status;
  }
}

export interface AnnotationsClient {
  /** Annotations carrying every one of `tags` whose span touches `time`. */
  findByTags(tags: string[], time: number, signal?: AbortSignal): Promise<FoundAnnotation[]>;
  create(annotation: NewAnnotation, signal?: AbortSignal): Promise<number>;
  patch(id: number, patch: AnnotationPatch, signal?: AbortSignal): Promise<void>;
}

export function createAnnotationsClient(options: AnnotationsClientOptions): AnnotationsClient {
  const base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
  const send = (method: string, path: string, body: unknown, signal?: AbortSignal) =>
    request(options, method, new URL(path, base), body, signal);

  return {
    async findByTags(tags, time, signal) {
      const query = new URLSearchParams({ type: 'annotation', limit: '100' });
      for (const tag of tags) query.append('tags', tag);
      // Both bounds are needed for Grafana to filter by time at all; a span
      // matches when it starts at or before `to` and ends at or after `from`.
      // Bounding the search keeps it cheap on a large annotation table.
      if (time > 0) {
        query.set('from', String(time));
        query.set('to', String(time));
      }
      const body = await send('GET', `api/annotations?${query}`, undefined, signal);
      return expectShape(FoundList, body, 'GET /api/annotations');
    },

    async create(annotation, signal) {
      const body = await send('POST', 'api/annotations', annotation, signal);
      return expectShape(Created, body, 'POST /api/annotations').id;
    },

    async patch(id, patch, signal) {
      await send('PATCH', `api/annotations/${id}`, patch, signal);
    },
  };
}

async function request(
  options: AnnotationsClientOptions,
  method: string,
  url: URL,
  body: unknown,
  signal?: AbortSignal
): Promise<unknown> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    authorization: `Bearer ${options.token}`,
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.orgId !== undefined) headers['x-grafana-org-id'] = String(options.orgId);

  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signals = signal ? [timeout, signal] : [timeout];
  const what = `${method} ${url.pathname}`;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.any(signals),
    });
    text = await response.text();
  } catch (error) {
    throw unreachable(error, what, timeout.aborted, options);
  }

  if (!response.ok) {
    throw new GrafanaError(`${what}: Grafana answered HTTP ${response.status}${grafanaMessage(text)}`, response.status);
  }
  try {
    return text === '' ? null : JSON.parse(text);
  } catch (error) {
    throw new GrafanaError(
      `${what}: Grafana answered HTTP ${response.status} with a body that is not JSON`,
      response.status,
      {
        cause: error,
      }
    );
  }
}

function unreachable(error: unknown, what: string, timedOut: boolean, options: AnnotationsClientOptions): GrafanaError {
  if (timedOut) {
    return new GrafanaError(`${what}: Grafana did not answer within ${options.timeoutMs} ms`, null, { cause: error });
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message;
  return new GrafanaError(`${what}: cannot reach Grafana at ${options.url} (${detail})`, null, { cause: error });
}

/** Grafana's error bodies are `{ "message": "…" }`; anything else is left out of the error. */
function grafanaMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string' && parsed.message !== '') return `: ${parsed.message.slice(0, 300)}`;
  } catch {
    // A proxy's HTML error page or an empty body: the status says enough.
  }
  return '';
}

function expectShape<S extends Type.TSchema>(schema: S, body: unknown, what: string): Type.Static<S> {
  if (Value.Check(schema, body)) return body as Type.Static<S>;
  const first = Value.Errors(schema, body)[0];
  const where = first ? `${first.instancePath || '/'} ${first.message}` : 'unexpected shape';
  throw new GrafanaError(`${what}: Grafana's answer is not what its API documents (${where})`, null);
}
