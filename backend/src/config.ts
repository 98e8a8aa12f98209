import Type from 'typebox';

import { schemaErrors } from './domain/policy.ts';

/**
 * The backend's settings, all from the environment, checked once at boot. A
 * missing token or a malformed URL stops the process with a message naming
 * the variable.
 */
const Url = Type.String({ pattern: '^https?://[^\\s]+$' });

export const Env = Type.Object({
  SENTRA_API_TOKEN: Type.String({ minLength: 16, description: 'bearer token for every /api/v1 route' }),
  SENTRA_HOST: Type.String({ default: '127.0.0.1' }),
  SENTRA_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  SENTRA_STORE_URL: Type.String({ pattern: '^(sqlite:|mysql://)', default: 'sqlite:.sentra/sentra.db' }),
  SENTRA_REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  SENTRA_REDIS_PREFIX: Type.String({ default: 'sentra:' }),
  SENTRA_ROUTER_URL: Type.Optional(Url),
  SENTRA_ROUTER_TOKEN: Type.Optional(Type.String()),
  SENTRA_PROMETHEUS_URL: Type.Optional(Url),
  SENTRA_LOKI_URL: Type.Optional(Url),
  SENTRA_LOKI_TENANT: Type.Optional(Type.String()),
  SENTRA_TEMPO_URL: Type.Optional(Url),
  SENTRA_GRAFANA_URL: Type.Optional(Url),
  SENTRA_GRAFANA_TOKEN: Type.Optional(Type.String()),
  SENTRA_GRAFANA_ORG_ID: Type.Optional(Type.Integer({ minimum: 1 })),
  SENTRA_LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
});
export type Env = Type.Static<typeof Env>;

export interface Config {
  apiToken: string;
  host: string;
  port: number;
  storeUrl: string;
  redisUrl: string | null;
  redisPrefix: string;
  routerUrl: string | null;
  routerToken: string | null;
  prometheusUrl: string | null;
  lokiUrl: string | null;
  lokiTenant: string | null;
  tempoUrl: string | null;
  grafana: { url: string; token: string; orgId: number | null } | null;
  logLevel: Env['SENTRA_LOG_LEVEL'];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const INTEGERS = new Set(['SENTRA_PORT', 'SENTRA_GRAFANA_ORG_ID']);

/** Reads the settings from an environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(Env.properties)) {
    const value = env[key];
    if (value === undefined || value === '') continue;
    raw[key] = INTEGERS.has(key) && /^[0-9]+$/.test(value) ? Number(value) : value;
  }
  const withDefaults = applyDefaults(raw);
  const errors = schemaErrors(Env, withDefaults, '');
  if (withDefaults.SENTRA_GRAFANA_URL && !withDefaults.SENTRA_GRAFANA_TOKEN) {
    errors.push({ field: '/SENTRA_GRAFANA_TOKEN', message: 'is required when SENTRA_GRAFANA_URL is set' });
  }
  if (errors.length > 0) {
    const lines = errors.map((e) => `${e.field.slice(1) || 'environment'}: ${describe(e.field, e.message)}`);
    throw new ConfigError(`invalid settings:\n  ${lines.join('\n  ')}`);
  }
  return toConfig(withDefaults as Env);
}

function applyDefaults(raw: Record<string, unknown>): Record<string, unknown> {
  const out = { ...raw };
  for (const [key, schema] of Object.entries(Env.properties)) {
    const fallback = (schema as { default?: unknown }).default;
    if (out[key] === undefined && fallback !== undefined) out[key] = fallback;
  }
  return out;
}

function describe(field: string, message: string): string {
  if (field === '/SENTRA_API_TOKEN' && message === 'is required') {
    return 'is required: every /api/v1 route needs a bearer token (at least 16 characters)';
  }
  return message;
}

function toConfig(env: Env): Config {
  return {
    apiToken: env.SENTRA_API_TOKEN,
    host: env.SENTRA_HOST,
    port: env.SENTRA_PORT,
    storeUrl: env.SENTRA_STORE_URL,
    redisUrl: env.SENTRA_REDIS_URL ?? null,
    redisPrefix: env.SENTRA_REDIS_PREFIX,
    routerUrl: env.SENTRA_ROUTER_URL ?? null,
    routerToken: env.SENTRA_ROUTER_TOKEN ?? null,
    prometheusUrl: env.SENTRA_PROMETHEUS_URL ?? null,
    lokiUrl: env.SENTRA_LOKI_URL ?? null,
    lokiTenant: env.SENTRA_LOKI_TENANT ?? null,
    tempoUrl: env.SENTRA_TEMPO_URL ?? null,
    grafana: env.SENTRA_GRAFANA_URL
      ? { url: env.SENTRA_GRAFANA_URL, token: env.SENTRA_GRAFANA_TOKEN ?? '', orgId: env.SENTRA_GRAFANA_ORG_ID ?? null }
      : null,
    logLevel: env.SENTRA_LOG_LEVEL,
  };
}
