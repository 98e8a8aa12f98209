import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';

import type { Rollout } from '../domain/rollout.ts';
import { latestResults, toSummary } from '../domain/summary.ts';
import { PHASES } from '../domain/vocabulary.ts';
import type { Store } from '../store/types.ts';
import type { ApiContext } from './context.ts';
import { actorOf } from './context.ts';
import { ApiError, errorResponses } from './errors.ts';
import {
  ActionBody,
  DecisionBody,
  IdParams,
  RolloutDetailBody,
  RolloutSummaryBody,
  StartRolloutBody,
  finiteJson,
} from './schemas.ts';

const ListQuery = Type.Object(
  {
    service: Type.Optional(Type.String({ maxLength: 63 })),
    phase: Type.Optional(Type.Enum(PHASES)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false }
);

export const rolloutRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { store, loop }) => {
  app.post(
    '/rollouts',
    {
      schema: {
        body: StartRolloutBody,
        response: { 201: RolloutDetailBody, ...errorResponses('invalid_input', 'not_found', 'conflict') },
      },
    },
    async (request, reply) => {
      const outcome = await loop.begin({ ...request.body, actor: actorOf(request) });
      if (!outcome.ok) throw new ApiError(outcome.code, outcome.message, outcome.fields);
      return reply.status(201).send(await detail(store, outcome.rollout));
    }
  );

  app.get(
    '/rollouts',
    {
      schema: {
        querystring: ListQuery,
        response: {
          200: Type.Object({ rollouts: Type.Array(RolloutSummaryBody) }),
          ...errorResponses('invalid_input'),
        },
      },
    },
    async (request) => {
      const rollouts = await store.listRollouts(request.query);
      return { rollouts: rollouts.map(toSummary) };
    }
  );

  app.get(
    '/rollouts/:id',
    {
      schema: { params: IdParams, response: { 200: RolloutDetailBody, ...errorResponses('not_found') } },
    },
    async (request) => detail(store, await mustFind(store, request.params.id))
  );

  app.post(
    '/rollouts/:id/actions',
    {
      schema: {
        params: IdParams,
        body: ActionBody,
        response: {
          200: Type.Object({ rollout: RolloutSummaryBody, decision: DecisionBody }),
          ...errorResponses('invalid_input', 'not_found', 'not_allowed', 'conflict'),
        },
      },
    },
    async (request) => {
      const { action, note } = request.body;
      const outcome = await loop.act(request.params.id, action, actorOf(request), note);
      if (!outcome.ok) throw new ApiError(outcome.code, outcome.message);
      return finiteJson({ rollout: toSummary(outcome.rollout), decision: outcome.planned.decision });
    }
  );
};

const DECISIONS_SHOWN = 2000;

async function mustFind(store: Store, id: string): Promise<Rollout> {
  const rollout = await store.getRollout(id);
  if (!rollout) throw new ApiError('not_found', `no rollout with id ${id}`);
  return rollout;
}

async function detail(store: Store, rollout: Rollout) {
  // The newest decisions: a long rollout ticking every second has more than a page should carry.
  const afterSeq = Math.max(0, rollout.tickSeq - DECISIONS_SHOWN);
  const [steps, decisions] = await Promise.all([
    store.listSteps(rollout.id),
    store.listDecisions(rollout.id, { afterSeq, limit: DECISIONS_SHOWN }),
  ]);
  return finiteJson({
    rollout: {
      ...toSummary(rollout),
      policy: rollout.policy,
      traffic: rollout.traffic,
      desired: rollout.desired,
      applied: rollout.applied,
    },
    steps,
    decisions,
    gates: latestResults(rollout),
  });
}
