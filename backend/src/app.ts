import { createHash, timingSafeEqual } from 'node:crypto';

import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';

import { eventRoutes } from './api/events.ts';
import { ApiError, handleError } from './api/errors.ts';
import { policyRoutes } from './api/policies.ts';
import { replayRoutes } from './api/replay.ts';
import { rolloutRoutes } from './api/rollouts.ts';
import { validatorCompiler } from './api/validation.ts';
import type { LoopDeps } from './loop/deps.ts';
import { RolloutLoop } from './loop/loop.ts';

export interface AppOptions {
  deps: LoopDeps;
  apiToken: string;
  /** Start the rollout loop when the app is ready (tests that drive ticks by hand turn it off). */
  runLoop?: boolean;
  /** Background work to start once the app is ready (the annotation writer). */
  onReady?: () => Promise<void>;
  /** Extra work to do when the app closes, after the loop has stopped (closing the store and bus). */
  onClose?: () => Promise<void>;
}

export interface SentraApp {
  app: FastifyInstance;
  loop: RolloutLoop;
}

/**
 * The backend as a fastify app: the REST API and event stream under
 * `/api/v1` (bearer token), `/healthz` and `/metrics` outside it. The loop
 * starts once the app is ready, after the stored routing state is re-applied,
 * and stops before the store and bus close.
 */
export async function buildApp(options: AppOptions): Promise<SentraApp> {
  const { deps } = options;
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyInstance['log'],
    // Decisions are logged by the loop; a line per poll of the event stream would drown them.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler());
  const loop = new RolloutLoop(deps);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({ statusCode: 404, code: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` });
  });

  // Every body Sentra takes is JSON; anything else is refused with 415 instead of being read as text.
  app.removeContentTypeParser('text/plain');
  await app.register(websocket);
  app.get(
    '/healthz',
    {
      schema: {
        response: {
          200: Type.Object({ status: Type.Literal('ok') }),
          503: Type.Object({ status: Type.Literal('unavailable'), reason: Type.String() }),
        },
      },
    },
    async (_request, reply) => {
      try {
        await deps.store.lastEventId();
        return { status: 'ok' as const };
      } catch (error) {
        return reply.status(503).send({ status: 'unavailable' as const, reason: `store: ${(error as Error).message}` });
      }
    }
  );
  app.get('/metrics', async (_request, reply) => {
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  const context = { store: deps.store, bus: deps.bus, loop, apiToken: options.apiToken };
  await app.register(
    async (api) => {
      api.addHook('onRequest', bearerCheck(options.apiToken));
      await api.register(policyRoutes, context);
      await api.register(rolloutRoutes, context);
      await api.register(eventRoutes, context);
      await api.register(replayRoutes, { store: deps.store, providers: deps.providers, clock: deps.clock });
    },
    { prefix: '/api/v1' }
  );

  if (options.runLoop !== false) app.addHook('onReady', async () => loop.start());
  if (options.onReady) app.addHook('onReady', options.onReady);
  app.addHook('onClose', async () => {
    await loop.stop();
    await options.onClose?.();
  });
  return { app, loop };
}

/** Compares the bearer token in constant time (over hashes, so lengths do not leak either). */
function bearerCheck(token: string) {
  const expected = createHash('sha256').update(token).digest();
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    if (!match || !timingSafeEqual(given, expected)) {
      throw new ApiError(
        'unauthorized',
        'missing or wrong bearer token: send Authorization: Bearer <SENTRA_API_TOKEN>'
      );
    }
  };
}
