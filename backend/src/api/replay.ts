import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';

import { resolveLimits, validatePolicy } from '../domain/policy.ts';
import type { FieldError, Policy } from '../domain/policy.ts';
import { formatDuration } from '../domain/duration.ts';
import { DECISIONS, PHASES } from '../domain/vocabulary.ts';
import { F } from '../log-fields.ts';
import { MAX_API_TICKS, PAST_TRAFFIC_NOTE, checkReplay, replay, toTicks } from '../replay/engine.ts';
import { INSTANT_HELP, parseInstant } from '../replay/time.ts';
import type { Store } from '../store/types.ts';
import type { Providers } from '../telemetry/types.ts';
import { ApiError, errorResponses, invalid } from './errors.ts';
import { GateResultBody, Millis, Name, finiteJson } from './schemas.ts';

/** What the replay route needs: stored policies, the backend's providers, and its clock for "now". */
export interface ReplayRouteOptions {
  store: Store;
  providers: Providers;
  clock: () => number;
}

const Instant = Type.Union([
  Type.Integer({ minimum: 0, description: 'epoch milliseconds' }),
  Type.String({ minLength: 1, maxLength: 64, description: INSTANT_HELP }),
]);

export const ReplayBody = Type.Object(
  {
    policy: Type.Optional(Type.Unknown({ description: 'an inline policy, in the shape POST /policies takes' })),
    policyName: Type.Optional(Type.String({ pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' })),
    service: Name,
    baseline: Name,
    canary: Name,
    from: Instant,
    to: Instant,
  },
  { additionalProperties: false }
);

export const ReplayTickBody = Type.Object({
  at: Millis,
  stepIndex: Type.Integer(),
  /** The weight the replayed rollout would have had during the tick; past traffic ran at its real split. */
  weight: Type.Number(),
  toWeight: Type.Number(),
  decision: Type.Enum(DECISIONS),
  reason: Type.String(),
  verdicts: Type.Array(GateResultBody),
});

export const ReplayResultBody = Type.Object({
  policy: Type.String(),
  from: Millis,
  to: Millis,
  tickInterval: Type.String(),
  ticks: Type.Array(ReplayTickBody),
  outcome: Type.Enum(PHASES),
  decidedAt: Type.Union([Millis, Type.Null()]),
  note: Type.String(),
});

/**
 * `POST /replay`: judges a policy (inline, or stored by name) against a past
 * range of the configured providers' telemetry, tick by tick, with the live
 * loop's rules. It stores nothing and moves no traffic. Ranges are capped at
 * `MAX_API_TICKS` ticks of the policy's interval.
 */
export const replayRoutes: FastifyPluginAsyncTypebox<ReplayRouteOptions> = async (app, { store, providers, clock }) => {
  app.post(
    '/replay',
    {
      schema: {
        body: ReplayBody,
        response: { 200: ReplayResultBody, ...errorResponses('invalid_input', 'not_found') },
      },
    },
    async (request) => {
      const body = request.body;
      const now = clock();
      const errors: FieldError[] = [];
      const from = instantOf(body.from, '/from', now, errors);
      const to = instantOf(body.to, '/to', now, errors);
      const inline = inlinePolicy(body, errors);
      if (errors.length > 0) throw invalid(errors);

      const policy = inline ?? (await storedPolicy(store, body.policyName!));
      const input = { policy, service: body.service, baseline: body.baseline, canary: body.canary, from, to };
      const problems = checkReplay(input, providers, { now, maxTicks: MAX_API_TICKS });
      if (problems.length > 0) throw invalid(problems);

      const result = await replay(input, providers);
      const fields = {
        [F.service]: body.service,
        policy: policy.name,
        outcome: result.outcome,
        ticks: result.decisions.length,
      };
      request.log.info({ ...fields, from, to }, 'replay finished');
      return finiteJson({
        policy: policy.name,
        from,
        to,
        tickInterval: formatDuration(resolveLimits(policy.limits).tickIntervalMs),
        ticks: toTicks(result.decisions),
        outcome: result.outcome,
        decidedAt: result.decidedAt,
        note: PAST_TRAFFIC_NOTE,
      });
    }
  );
};

function instantOf(input: string | number, field: string, now: number, errors: FieldError[]): number {
  const at = parseInstant(input, now);
  if (at === null) errors.push({ field, message: `${JSON.stringify(input)} is not a time: use ${INSTANT_HELP}` });
  return at ?? 0;
}

/** The inline policy, validated in full; null when the body names a stored one instead. */
function inlinePolicy(body: { policy?: unknown; policyName?: string }, errors: FieldError[]): Policy | null {
  const given = body.policy !== undefined;
  if (given === (body.policyName !== undefined)) {
    errors.push({
      field: '/policy',
      message: 'give either policy (an inline policy) or policyName, not both or neither',
    });
    return null;
  }
  if (!given) return null;
  const result = validatePolicy(body.policy);
  if (result.ok) return result.value;
  errors.push(...result.errors.map((e) => ({ ...e, field: `/policy${e.field}` })));
  return null;
}

async function storedPolicy(store: Store, name: string): Promise<Policy> {
  const record = await store.getPolicy(name);
  if (!record) throw new ApiError('not_found', `no policy named "${name}"`);
  return record.policy;
}
