/**
 * One HTTP exchange with a telemetry backend, reduced to what a provider
 * needs: a parsed JSON body, or one sentence saying what went wrong. Never
 * throws: a timeout, a refused connection, an error status and a body that is
 * not JSON all come back as `{ ok: false }`. Error bodies are read as text
 * first (Loki and Tempo answer errors in plain text), and a JSON error body's
 * `error` or `message` is used when there is one.
 */

/** On an error status, `body` holds the raw error body for backends that put structure in it (Grafana). */
export type Exchange =
  { ok: true; status: number; body: unknown } | { ok: false; status: number | null; reason: string; body?: string };

export interface ExchangeRequest {
  /** Who answers, for reasons: `Loki`, `Tempo`, `Grafana`. */
  backend: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /**
   * A signal shared by every query of one tick, so that the tick as a whole
   * stays within `timeoutMs` however many queries it asks; by default each
   * request gets its own timeout.
   */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

const MAX_REASON_BODY = 600;

export async function exchange(req: ExchangeRequest): Promise<Exchange> {
  const doFetch = req.fetch ?? fetch;
  let res: Response;
  let text: string;
  try {
    res = await doFetch(req.url, {
      method: req.method ?? 'GET',
      headers: { Accept: 'application/json', ...req.headers },
      body: req.body,
      signal: req.signal ?? AbortSignal.timeout(req.timeoutMs),
    });
    text = await res.text();
  } catch (error) {
    return { ok: false, status: null, reason: networkReason(req, error) };
  }

  if (!res.ok) {
    return {
      ok: false,
      status: res.status,
      reason: `${req.backend} answered HTTP ${res.status}: ${errorText(text)}`,
      body: text,
    };
  }
  try {
    return { ok: true, status: res.status, body: JSON.parse(text) as unknown };
  } catch {
    return {
      ok: false,
      status: res.status,
      reason: `${req.backend} answered HTTP ${res.status} with a body that is not JSON: ${clip(text)}`,
    };
  }
}

function networkReason(req: ExchangeRequest, error: unknown): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    return `${req.backend} did not answer within ${req.timeoutMs} ms`;
  }
  const cause = err.cause?.code ?? err.cause?.message ?? err.message ?? String(error);
  return `${req.backend} unreachable: ${cause}`;
}

/** The text of an error body: plain text as is, or a JSON body's `error` or `message`. */
export function errorText(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as { error?: unknown; message?: unknown };
      const said = typeof parsed.error === 'string' ? parsed.error : parsed.message;
      if (typeof said === 'string' && said !== '') return clip(said);
    } catch {
      // Not JSON after all: the text itself is the best reason there is.
    }
  }
  return trimmed === '' ? '(empty body)' : clip(trimmed);
}

function clip(text: string): string {
  const oneLine = text.trim().replace(/\s*\n\s*/g, ' ');
  return oneLine.length > MAX_REASON_BODY ? `${oneLine.slice(0, MAX_REASON_BODY)}…` : oneLine;
}
