import { createHmac } from 'node:crypto';

import Type from 'typebox';

import { parseDuration } from '../domain/duration.ts';
import { HeaderRoute, schemaErrors } from '../domain/policy.ts';
import type { RoutingState } from '../domain/rollout.ts';
import type { WebhookTraffic } from '../domain/traffic-config.ts';
import { checkDesired, configFor, reasonOf } from './common.ts';
import type { TrafficController, TrafficTarget } from './types.ts';
import { TrafficError } from './types.ts';

const DEFAULT_TIMEOUT_MS = 5000;
/** `sha256=<hex HMAC-SHA256 of the raw request body>`, keyed with the secret. */
export const SIGNATURE_HEADER = 'x-sentra-signature';

/** What the webhook answers: the state in force after the call. */
const AppliedState = Type.Object({
  weight: Type.Number({ minimum: 0, maximum: 100 }),
  headerRoute: Type.Union([Type.Null(), HeaderRoute]),
});

export interface WebhookControllerOptions {
  /** Where `secretEnv` is looked up; the process environment by default. */
  env?: Record<string, string | undefined>;
}

/**
 * Any proxy Sentra has no controller for, through an HTTP endpoint its
 * operators write. Each call is a POST of JSON:
 *   { "action": "apply", "service", "baseline", "canary", "sentAt",
 *     "desired": { "weight", "headerRoute": { "header", "value" } | null } }
 * or `"action": "read"` without `desired`. The endpoint answers 2xx with the
 * state in force as JSON, `{ "weight", "headerRoute" }` (for a read, `null`
 * when nothing is set up yet). With `secretEnv` set, the body is signed:
 * `x-sentra-signature: sha256=<hex>`, an HMAC-SHA256 of the raw body bytes.
 * `sentAt` (milliseconds since the epoch) lets the endpoint refuse replays.
 *
 * Every tick posts the whole state, changed or not: the endpoint must itself
 * be level-triggered, changing its proxy only where it differs. Sentra does
 * not log these calls as changes, since only the endpoint knows whether
 * anything changed.
 */
export class WebhookController implements TrafficController {
  readonly kind = 'webhook' as const;
  readonly #env: Record<string, string | undefined>;

  constructor(options: WebhookControllerOptions = {}) {
    this.#env = options.env ?? process.env;
  }

  async apply(target: TrafficTarget, desired: RoutingState): Promise<RoutingState> {
    const config = configFor('webhook', target);
    checkDesired('webhook', desired);
    const answer = await this.#post(config, { action: 'apply', ...about(target), desired });
    return parseAnswer(config, answer, false)!;
  }

  async read(target: TrafficTarget): Promise<RoutingState | null> {
    const config = configFor('webhook', target);
    return parseAnswer(config, await this.#post(config, { action: 'read', ...about(target) }), true);
  }

  async #post(config: WebhookTraffic, payload: Record<string, unknown>): Promise<string> {
    const body = JSON.stringify({ ...payload, sentAt: Date.now() });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (config.secretEnv !== undefined) headers[SIGNATURE_HEADER] = sign(body, this.#secret(config.secretEnv));
    const timeoutMs = config.timeout ? parseDuration(config.timeout) : DEFAULT_TIMEOUT_MS;

    let response: Response;
    let text: string;
    try {
      const signal = AbortSignal.timeout(timeoutMs);
      response = await fetch(config.url, { method: 'POST', headers, body, redirect: 'error', signal });
      text = await response.text();
    } catch (error) {
      const reason =
        error instanceof DOMException && error.name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : reasonOf(error);
      throw new TrafficError('webhook', `${config.url}: ${reason}`, { cause: error });
    }
    if (!response.ok) {
      throw new TrafficError(
        'webhook',
        `${config.url} answered HTTP ${response.status}: ${text.trim().slice(0, 1000)}`
      );
    }
    return text;
  }

  #secret(name: string): string {
    const secret = this.#env[name];
    if (secret === undefined || secret === '') {
      throw new TrafficError('webhook', `the signing secret ${name} is not set in the backend's environment`);
    }
    return secret;
  }
}

/** The value of the signature header for a raw body. */
export function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

function about(target: TrafficTarget) {
  return { service: target.service, baseline: target.baseline, canary: target.canary };
}

function parseAnswer(config: WebhookTraffic, text: string, nullable: boolean): RoutingState | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TrafficError(
      'webhook',
      `${config.url} answered with something that is not JSON: ${text.trim().slice(0, 200)}`
    );
  }
  if (value === null && nullable) return null;
  const errors = schemaErrors(AppliedState, value, '');
  if (errors.length > 0) {
    const said = errors.map((e) => `${e.field || 'the answer'} ${e.message}`).join('; ');
    throw new TrafficError('webhook', `${config.url} answered with a malformed state: ${said}`);
  }
  const state = value as RoutingState;
  return { weight: state.weight, headerRoute: state.headerRoute === null ? null : { ...state.headerRoute } };
}
