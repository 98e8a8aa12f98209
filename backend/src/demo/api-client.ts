/** A small JSON client for Sentra's API (and the router's admin API), as other tools would call them. */
export class ApiClient {
  private readonly base: string;
  private readonly token: string | null;

  constructor(base: string, token: string | null) {
    this.base = base.replace(/\/$/, '');
    this.token = token;
  }

  /** Answers the parsed JSON body; a non-2xx answer throws with the API's own message. */
  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { 'x-sentra-actor': 'demo' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    const parsed = text ? safeJson(text) : null;
    if (!response.ok) {
      const message = (parsed as { message?: string } | null)?.message ?? text;
      throw new Error(`${method} ${path} answered ${response.status}: ${message}`);
    }
    return parsed as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
