import type Type from 'typebox';

import { schemaErrors } from '../domain/policy.ts';

export interface AdminClientOptions {
  /** The router's admin address, such as http://127.0.0.1:9091. */
  url: string;
  token?: string;
  /** The whole call, answer body included, is aborted after this long. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** The router's answer, or why there is none; `code` is the router's error code when it sent one. */
export type AdminResult<T> =
  { ok: true; status: number; body: T } | { ok: false; status: number | null; code: string | null; reason: string };

/**
 * One call to the router's admin API. Never throws: a refused connection, a
 * timeout, an error status or a body of the wrong shape all come back as a
 * reason in words, with the router's own message when it gave one.
 */
export async function callAdmin<S extends Type.TSchema>(
  options: AdminClientOptions,
  request: { method: 'GET' | 'PUT'; path: string; body?: unknown },
  answer: S
): Promise<AdminResult<Type.Static<S>>> {
  const url = options.url.replace(/\/+$/, '') + request.path;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (request.body !== undefined) headers['content-type'] = 'application/json';

  let status: number;
  let text: string;
  try {
    const signal = AbortSignal.timeout(options.timeoutMs);
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const res = await (options.fetch ?? fetch)(url, { method: request.method, headers, body, signal });
    status = res.status;
    text = await res.text();
  } catch (err) {
    return { ok: false, status: null, code: null, reason: unreachable(options, err) };
  }

  const parsed = parseJson(text);
  if (status < 200 || status > 299) {
    const { code, message } = errorParts(parsed, text);
    return { ok: false, status, code, reason: `router answered HTTP ${status}: ${message}` };
  }
  if (parsed === undefined) {
    return { ok: false, status, code: null, reason: `router answered a body that is not JSON: ${snippet(text)}` };
  }
  const problems = schemaErrors(answer, parsed, '');
  if (problems.length > 0) {
    const first = problems[0]!;
    const reason = `router answered an unexpected body: ${first.field || '(body)'} ${first.message}`;
    return { ok: false, status, code: null, reason };
  }
  return { ok: true, status, body: parsed as Type.Static<S> };
}

function unreachable(options: AdminClientOptions, err: unknown): string {
  const name = (err as { name?: string }).name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return `router at ${options.url} did not answer within ${options.timeoutMs}ms`;
  }
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
  return `router at ${options.url} could not be reached: ${detail}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function errorParts(parsed: unknown, text: string): { code: string | null; message: string } {
  if (typeof parsed === 'object' && parsed !== null) {
    const { code, message } = parsed as { code?: unknown; message?: unknown };
    if (typeof message === 'string') return { code: typeof code === 'string' ? code : null, message };
  }
  return { code: null, message: snippet(text) || '(empty body)' };
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
