import type { FastifyRequest } from 'fastify';

import type { Bus } from '../bus/types.ts';
import type { RolloutLoop } from '../loop/loop.ts';
import type { Store } from '../store/types.ts';

/** What the API's route plugins are handed. */
export interface ApiContext {
  store: Store;
  bus: Bus;
  loop: RolloutLoop;
  apiToken: string;
}

const ACTOR_HEADERS = ['x-sentra-actor', 'x-grafana-user'] as const;

/**
 * Who is acting. Anyone holding the API token is trusted to say who they are:
 * Grafana's plugin proxy forwards its user, other tools may name themselves.
 */
export function actorOf(request: FastifyRequest): string {
  for (const header of ACTOR_HEADERS) {
    const value = request.headers[header];
    if (typeof value === 'string' && value.trim() !== '') return value.trim().slice(0, 128);
  }
  return 'api';
}
