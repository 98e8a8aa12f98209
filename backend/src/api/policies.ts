import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';

import { Policy, validatePolicy } from '../domain/policy.ts';
import type { Policy as PolicyValue } from '../domain/policy.ts';
import { StoreError } from '../store/types.ts';
import type { PolicyRecord } from '../store/types.ts';
import type { ApiContext } from './context.ts';
import { actorOf } from './context.ts';
import { ApiError, errorResponses, invalid } from './errors.ts';
import { NameParams, PolicyRecordBody } from './schemas.ts';

/**
 * Policies: versioned, validated in full before anything is stored. The body
 * schema documents the shape; the domain's validator produces the errors, so
 * that each one names the exact field instead of every branch of a union.
 */
export const policyRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { store }) => {
  app.get(
    '/policies',
    {
      schema: { response: { 200: Type.Object({ policies: Type.Array(PolicyRecordBody) }), ...errorResponses() } },
    },
    async () => ({ policies: await store.listPolicies() })
  );

  app.post(
    '/policies',
    {
      schema: { body: Policy, response: { 201: PolicyRecordBody, ...errorResponses('invalid_input', 'conflict') } },
      attachValidation: true,
    },
    async (request, reply) => {
      const policy = checked(request.body);
      // The domain's checks passed; anything the schema still refuses is outside what they cover.
      if (request.validationError) throw request.validationError;
      const audit = {
        at: Date.now(),
        actor: actorOf(request),
        action: 'policy.create',
        target: `policy:${policy.name}`,
        detail: {},
      };
      const record = await storeCall(() => store.createPolicy(policy, audit));
      return reply.status(201).send(record);
    }
  );

  app.post(
    '/policies/validate',
    {
      schema: {
        body: Type.Unknown(),
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            errors: Type.Array(Type.Object({ field: Type.String(), message: Type.String() })),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const result = validatePolicy(request.body);
      return result.ok ? { ok: true, errors: [] } : { ok: false, errors: result.errors };
    }
  );

  app.get(
    '/policies/:name',
    {
      schema: { params: NameParams, response: { 200: PolicyRecordBody, ...errorResponses('not_found') } },
    },
    async (request) => found(await store.getPolicy(request.params.name), request.params.name)
  );

  app.put(
    '/policies/:name',
    {
      schema: {
        params: NameParams,
        body: Type.Object({ version: Type.Integer({ minimum: 1 }), policy: Policy }, { additionalProperties: false }),
        response: { 200: PolicyRecordBody, ...errorResponses('invalid_input', 'not_found', 'conflict') },
      },
      attachValidation: true,
    },
    async (request) => {
      const raw = request.body as { version?: unknown; policy?: unknown } | null;
      if (typeof raw?.version !== 'number' || !Number.isInteger(raw.version)) {
        throw invalid([{ field: '/version', message: 'is required: the version this edit is based on' }]);
      }
      const policy = checked(raw.policy, '/policy');
      if (request.validationError) throw request.validationError;
      if (policy.name !== request.params.name) {
        throw invalid([
          { field: '/policy/name', message: `must stay "${request.params.name}"; create a new policy to rename` },
        ]);
      }
      const audit = {
        at: Date.now(),
        actor: actorOf(request),
        action: 'policy.update',
        target: `policy:${policy.name}`,
        detail: { basedOn: raw.version },
      };
      return storeCall(() => store.updatePolicy(policy.name, raw.version as number, policy, audit));
    }
  );

  app.delete(
    '/policies/:name',
    {
      schema: { params: NameParams, response: { 204: Type.Null(), ...errorResponses('not_found') } },
    },
    async (request, reply) => {
      const audit = {
        at: Date.now(),
        actor: actorOf(request),
        action: 'policy.delete',
        target: `policy:${request.params.name}`,
        detail: {},
      };
      await storeCall(() => store.deletePolicy(request.params.name, audit));
      return reply.status(204).send(null);
    }
  );
};

function checked(input: unknown, at = ''): PolicyValue {
  const result = validatePolicy(input);
  if (!result.ok) throw invalid(result.errors.map((e) => ({ ...e, field: at + e.field })));
  return result.value;
}

function found(record: PolicyRecord | null, name: string): PolicyRecord {
  if (!record) throw new ApiError('not_found', `no policy named "${name}"`);
  return record;
}

async function storeCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StoreError)
      throw new ApiError(error.code === 'conflict' ? 'conflict' : 'not_found', error.message);
    throw error;
  }
}
