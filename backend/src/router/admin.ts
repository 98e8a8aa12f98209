import { createHash, timingSafeEqual } from 'node:crypto';
import { STATUS_CODES } from 'node:http';

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import Type from 'typebox';

import { parseDuration } from '../domain/duration.ts';
import type { FieldError } from '../domain/policy.ts';
import { RouterError, describeFields, issuesToFields } from './errors.ts';
import {
  ErrorAnswer,
  RoutingAnswer,
  RoutingBody,
  ServiceParams,
  StatsAnswer,
  StatsQuery,
  UpstreamsAnswer,
  UpstreamsBody,
} from './schemas.ts';
import type { RouterStats } from './stats.ts';
import type { RoutingTable } from './table.ts';

export interface AdminOptions {
  table: RoutingTable;
  stats: RouterStats;
  logger: Logger;
  /** When set, every `/admin/...` request needs `Authorization: Bearer <token>`. */
  adminToken?: string;
  clock: () => number;
}

const errors = { '4xx': ErrorAnswer, '5xx': ErrorAnswer };

/**
 * The router's admin API on its own port: the deployer registers where each
 * version lives, Sentra's traffic controller sets the split, and Sentra's
 * telemetry provider and Prometheus read the counts. `/metrics` and `/healthz`
 * are open so Prometheus can scrape without the admin token.
 */
export function buildAdmin(options: AdminOptions) {
  const logController = new LogController({ disableRequestLogging: true });
  const app = Fastify({ loggerInstance: options.logger, logController, bodyLimit: 64 * 1024 })
    .withTypeProvider<TypeBoxTypeProvider>()
    .setValidatorCompiler(TypeBoxValidatorCompiler);

  app.setErrorHandler((err: FastifyError, _req, reply) => sendError(reply, err, options.logger));
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody(404, 'SENTRA_ROUTER_NOT_FOUND', `no route ${req.method} ${req.url}`));
  });
  if (options.adminToken) app.addHook('onRequest', bearerCheck(options.adminToken));

  addUpstreamRoutes(app, options);
  addRoutingRoutes(app, options);
  addCountRoutes(app, options);
  return app;
}

type AdminApp = ReturnType<typeof buildAdmin>;

function addUpstreamRoutes(app: AdminApp, { table, logger }: AdminOptions): void {
  const path = '/admin/services/:service/upstreams';
  const response = { 200: UpstreamsAnswer, ...errors };

  app.put(path, { schema: { params: ServiceParams, body: UpstreamsBody, response } }, async (req) => {
    const answer = table.setUpstreams(req.params.service, req.body.versions);
    logger.info({ service: answer.service, versions: Object.keys(answer.versions) }, 'upstreams registered');
    return answer;
  });

  app.get(path, { schema: { params: ServiceParams, response } }, async (req) => {
    return table.upstreams(req.params.service) ?? unknownService(req.params.service);
  });
}

function addRoutingRoutes(app: AdminApp, { table, logger }: AdminOptions): void {
  const path = '/admin/services/:service/routing';
  const response = { 200: RoutingAnswer, ...errors };

  app.put(path, { schema: { params: ServiceParams, body: RoutingBody, response } }, async (req) => {
    const { routing, changed } = table.setRouting(req.params.service, req.body);
    if (changed) {
      const { service, baseline, canary, weight, headerRoute, revision } = routing;
      logger.info({ service, baseline, canary, weight, headerRoute, revision }, 'routing changed');
    }
    return routing;
  });

  app.get(path, { schema: { params: ServiceParams, response } }, async (req) => {
    const { service } = req.params;
    if (!table.hasService(service)) unknownService(service);
    const routing = table.routing(service);
    if (!routing) throw new RouterError('SENTRA_ROUTER_NO_ROUTING', `no routing is set for service ${service}`);
    return routing;
  });
}

function addCountRoutes(app: AdminApp, { table, stats, clock }: AdminOptions): void {
  const statsSchema = { params: ServiceParams, querystring: StatsQuery, response: { 200: StatsAnswer, ...errors } };
  app.get('/admin/services/:service/stats', { schema: statsSchema }, async (req) => {
    const { service } = req.params;
    if (!table.hasService(service)) unknownService(service);
    const windowMs = req.query.window === undefined ? undefined : parseDuration(req.query.window);
    return stats.read(service, clock(), windowMs);
  });

  app.get('/metrics', async (_req, reply) => {
    reply.type(stats.registry.contentType);
    return stats.registry.metrics();
  });

  const health = { response: { 200: Type.Object({ ok: Type.Boolean() }) } };
  app.get('/healthz', { schema: health }, async () => ({ ok: true }));
}

function unknownService(service: string): never {
  throw new RouterError('SENTRA_ROUTER_UNKNOWN_SERVICE', `no upstreams are registered for service ${service}`);
}

/** Compares digests, so neither the token's content nor its length leaks through timing. */
function bearerCheck(token: string) {
  const expected = createHash('sha256').update(token).digest();
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.url.startsWith('/admin/')) return;
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    const digest = createHash('sha256').update(given).digest();
    if (given && timingSafeEqual(digest, expected)) return;
    const message = given ? 'the bearer token is not valid' : 'an Authorization: Bearer <token> header is required';
    return reply.code(401).send(errorBody(401, 'SENTRA_ROUTER_UNAUTHORIZED', message));
  };
}

function sendError(reply: FastifyReply, err: FastifyError, logger: Logger): FastifyReply {
  if (err instanceof RouterError) {
    return reply.code(err.statusCode).send(errorBody(err.statusCode, err.code, err.message, err.fields));
  }
  if (err.validation) {
    const fields = issuesToFields(err.validation, '');
    const message = `invalid ${err.validationContext ?? 'request'}: ${describeFields(fields)}`;
    return reply.code(400).send(errorBody(400, 'SENTRA_ROUTER_INVALID', message, fields));
  }
  const status = err.statusCode ?? 500;
  if (status < 500) return reply.code(status).send(errorBody(status, err.code ?? 'SENTRA_ROUTER_INVALID', err.message));

  logger.error({ err }, 'admin request failed');
  return reply.code(500).send(errorBody(500, 'SENTRA_ROUTER_INTERNAL', 'internal error in the router'));
}

function errorBody(statusCode: number, code: string, message: string, fields?: FieldError[]): ErrorAnswer {
  const error = STATUS_CODES[statusCode] ?? 'Error';
  return fields ? { statusCode, code, error, message, fields } : { statusCode, code, error, message };
}
