import type { RoutingState } from '../domain/rollout.ts';
import { callAdmin } from '../router/client.ts';
import type { AdminClientOptions } from '../router/client.ts';
import { RoutingAnswer } from '../router/schemas.ts';
import type { RoutingBody } from '../router/schemas.ts';
import type { TrafficController, TrafficTarget } from './types.ts';
import { TrafficError } from './types.ts';
import { configFor } from './common.ts';

export interface RouterControllerOptions {
  /** The router's admin address for targets whose traffic settings name none. */
  url?: string;
  token?: string;
  /** Per call; 5 s unless set. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * Moves traffic through Sentra's built-in router. `apply` sends the whole
 * routing state; the router keeps a routing it already has as it is, so
 * applying twice changes nothing. What comes back is what the router reports
 * in force.
 */
export class RouterController implements TrafficController {
  readonly kind = 'router' as const;
  readonly #options: RouterControllerOptions;

  constructor(options: RouterControllerOptions = {}) {
    this.#options = options;
  }

  async apply(target: TrafficTarget, desired: RoutingState): Promise<RoutingState> {
    const body: RoutingBody = {
      baseline: target.baseline,
      canary: target.canary,
      weight: desired.weight,
      headerRoute: desired.headerRoute,
    };
    const path = routingPath(target.service);
    const result = await callAdmin(this.#client(target), { method: 'PUT', path, body }, RoutingAnswer);
    if (!result.ok)
      throw new TrafficError('router', `could not set the routing of ${target.service}: ${result.reason}`);

    const inForce = result.body;
    if (!sameVersions(inForce, target)) {
      const message = `router put ${inForce.baseline}/${inForce.canary} in force for ${target.service}, not ${
        target.baseline
      }/${target.canary}`;
      throw new TrafficError('router', message);
    }
    return toState(inForce);
  }

  /** Null when the router has no routing for the service, or one between other versions. */
  async read(target: TrafficTarget): Promise<RoutingState | null> {
    const path = routingPath(target.service);
    const result = await callAdmin(this.#client(target), { method: 'GET', path }, RoutingAnswer);
    if (!result.ok && result.status === 404) return null;
    if (!result.ok)
      throw new TrafficError('router', `could not read the routing of ${target.service}: ${result.reason}`);
    return sameVersions(result.body, target) ? toState(result.body) : null;
  }

  #client(target: TrafficTarget): AdminClientOptions {
    const url = configFor('router', target).url ?? this.#options.url;
    if (!url) {
      throw new TrafficError(
        'router',
        `no router address for ${target.service}: set traffic.url or the default router`
      );
    }
    return { url, token: this.#options.token, timeoutMs: this.#options.timeoutMs ?? 5000, fetch: this.#options.fetch };
  }
}

function routingPath(service: string): string {
  return `/admin/services/${encodeURIComponent(service)}/routing`;
}

function sameVersions(answer: RoutingAnswer, target: TrafficTarget): boolean {
  return answer.baseline === target.baseline && answer.canary === target.canary;
}

function toState(answer: RoutingAnswer): RoutingState {
  return { weight: answer.weight, headerRoute: answer.headerRoute };
}
