import { Observable } from 'rxjs';
import { setBackendSrv, type BackendSrv, type BackendSrvRequest, type FetchResponse } from '@grafana/runtime';

import { API_BASE } from '../constants';
import type { FieldError, ReplayRequest, SentraEvent } from '../api/types';

export interface Call {
  method: string;
  path: string;
  params: Record<string, unknown>;
  data: unknown;
}

export interface Reply {
  status?: number;
  data?: unknown;
}

type Handler = (call: Call, match: RegExpMatchArray) => Reply | Promise<Reply>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

/**
 * Stands in for Grafana's BackendSrv and, behind it, the Sentra API: one
 * handler per route, every call recorded. `GET /events` is built in and
 * long-polls like the real one: it answers when `pushEvent` is called.
 */
export class FakeBackend {
  readonly calls: Call[] = [];
  private readonly routes: Route[] = [];
  private readonly events: SentraEvent[] = [];
  private waiters: Array<() => void> = [];
  eventsFailure: Reply | null = null;

  constructor() {
    setBackendSrv({ fetch: (options: BackendSrvRequest) => this.fetch(options) } as unknown as BackendSrv);
  }

  on(method: string, path: string | RegExp, handler: Handler | Reply): this {
    const pattern = typeof path === 'string' ? new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : path;
    this.routes.push({ method, pattern, handler: typeof handler === 'function' ? handler : () => handler });
    return this;
  }

  /**
   * `POST /replay` as documented: a body with unknown fields, a missing or
   * malformed name or instant, or not exactly one of `policy` and
   * `policyName` gets the backend's 400 naming each field, before `answer`
   * is asked. What the backend finds wrong inside the policy or the range is
   * for `answer` to say.
   */
  onReplay(answer: Reply | ((body: ReplayRequest) => Reply | Promise<Reply>)): this {
    return this.on('POST', '/replay', (call) => {
      const fields = replayBodyErrors(call.data);
      if (fields.length > 0) {
        return invalidInput(fields);
      }
      return typeof answer === 'function' ? answer(call.data as ReplayRequest) : answer;
    });
  }

  pushEvent(event: SentraEvent): void {
    this.events.push(event);
    const waiting = this.waiters;
    this.waiters = [];
    waiting.forEach((wake) => wake());
  }

  callsTo(method: string, path: string): Call[] {
    return this.calls.filter((c) => c.method === method && c.path === path);
  }

  private fetch(options: BackendSrvRequest): Observable<FetchResponse> {
    const method = (options.method ?? 'GET').toUpperCase();
    const path = options.url.startsWith(API_BASE) ? options.url.slice(API_BASE.length) : options.url;
    const call: Call = { method, path, params: options.params ?? {}, data: options.data };
    this.calls.push(call);
    return new Observable<FetchResponse>((subscriber) => {
      let active = true;
      const answer =
        path === '/events' && method === 'GET' ? this.events$(call, options.abortSignal) : this.route(call);
      answer.then(
        (reply) => {
          if (!active) {
            return;
          }
          const status = reply.status ?? 200;
          if (status >= 400) {
            subscriber.error({ status, data: reply.data, config: options });
          } else {
            subscriber.next({ data: reply.data, status, ok: true, config: options } as FetchResponse);
            subscriber.complete();
          }
        },
        (error) => active && subscriber.error(error)
      );
      options.abortSignal?.addEventListener('abort', () => {
        active = false;
        subscriber.error({ status: -1, cancelled: true, data: null, config: options });
      });
      return () => {
        active = false;
      };
    });
  }

  private async route(call: Call): Promise<Reply> {
    for (const route of this.routes) {
      const match = call.path.match(route.pattern);
      if (route.method === call.method && match) {
        return route.handler(call, match);
      }
    }
    return { status: 404, data: { message: `no fake route for ${call.method} ${call.path}` } };
  }

  private async events$(call: Call, signal?: AbortSignal): Promise<Reply> {
    if (this.eventsFailure) {
      return this.eventsFailure;
    }
    const after = call.params.after === undefined ? null : Number(call.params.after);
    const lastId = () => this.events[this.events.length - 1]?.id ?? 0;
    if (after === null) {
      return { data: { events: [], lastId: lastId() } };
    }
    while (!this.events.some((e) => e.id > after)) {
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      if (signal?.aborted) {
        return { data: { events: [], lastId: after } };
      }
    }
    return { data: { events: this.events.filter((e) => e.id > after), lastId: lastId() } };
  }
}

/** The backend's answer to input it refuses, naming each field. */
export function invalidInput(fields: FieldError[]): Reply {
  const message = fields.map((f) => `${f.field || 'body'}: ${f.message}`).join('; ');
  return { status: 400, data: { statusCode: 400, code: 'invalid_input', message, fields } };
}

const REPLAY_KEYS = ['policy', 'policyName', 'service', 'baseline', 'canary', 'from', 'to'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const POLICY_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** What the backend refuses in a `POST /replay` body before it looks at the policy or the range. */
function replayBodyErrors(data: unknown): FieldError[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return [{ field: '', message: 'must be object' }];
  }
  const body = data as Record<string, unknown>;
  const errors: FieldError[] = Object.keys(body)
    .filter((key) => !REPLAY_KEYS.includes(key))
    .map((key) => ({ field: `/${key}`, message: 'unknown field' }));
  for (const key of ['service', 'baseline', 'canary']) {
    if (body[key] === undefined) {
      errors.push({ field: `/${key}`, message: 'is required' });
    } else if (typeof body[key] !== 'string' || !NAME.test(body[key])) {
      errors.push({ field: `/${key}`, message: `must match pattern "${NAME.source}"` });
    }
  }
  for (const key of ['from', 'to']) {
    const value = body[key];
    const instant =
      (typeof value === 'number' && Number.isInteger(value) && value >= 0) ||
      (typeof value === 'string' && value.length >= 1 && value.length <= 64);
    if (!instant) {
      errors.push({ field: `/${key}`, message: value === undefined ? 'is required' : 'must be an instant' });
    }
  }
  if (body.policyName !== undefined && (typeof body.policyName !== 'string' || !POLICY_NAME.test(body.policyName))) {
    errors.push({ field: '/policyName', message: `must match pattern "${POLICY_NAME.source}"` });
  }
  // The schema is checked first; the handler then asks for exactly one way of naming the policy.
  if (errors.length === 0 && (body.policy === undefined) === (body.policyName === undefined)) {
    errors.push({
      field: '/policy',
      message: 'give either policy (an inline policy) or policyName, not both or neither',
    });
  }
  return errors;
}
