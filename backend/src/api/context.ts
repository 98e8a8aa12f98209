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

/** Node reads header bytes as Latin-1; a name sent as UTF-8 (José) is decoded back when it is valid UTF-8. */
function fromLatin1(value: string): string {
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return text.includes('\uFFFD') ? value : text;
}

const ACTOR_HEADERS = ['x-sentra-actor', 'x-grafana-user'] as const;

/**
 * Who is acting. Anyone holding the API token is trusted to say who they are:
 * Grafana's plugin proxy forwards its user, other tools may name themselves.
 */
export function actorOf(request: FastifyRequest): string {
  for (const header of ACTOR_HEADERS) {
    const value = request.headers[header];
    if (typeof value === 'string' && value.trim() !== '') return fromLatin1(value.trim()).slice(0, 128);
  }
  return 'api';
}
