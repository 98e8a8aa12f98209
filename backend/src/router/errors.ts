import type { FieldError } from '../domain/policy.ts';

/** The router's error codes, each with the HTTP status it answers with. */
export const ROUTER_ERRORS = {
  SENTRA_ROUTER_INVALID: 400,
  SENTRA_ROUTER_UNAUTHORIZED: 401,
  SENTRA_ROUTER_UNKNOWN_SERVICE: 404,
  SENTRA_ROUTER_NO_ROUTING: 404,
  SENTRA_ROUTER_UNKNOWN_VERSION: 409,
  /** The proxy has upstreams for the service but no routing yet. */
  SENTRA_ROUTER_NOT_READY: 503,
  SENTRA_ROUTER_NO_UPSTREAM: 502,
  SENTRA_ROUTER_UPSTREAM_FAILED: 502,
  SENTRA_ROUTER_UPSTREAM_TIMEOUT: 504,
} as const;

export type RouterErrorCode = keyof typeof ROUTER_ERRORS;

/** An expected failure of an admin call, answered to the caller as is. */
export class RouterError extends Error {
  readonly code: RouterErrorCode;
  readonly statusCode: number;
  readonly fields: FieldError[] | undefined;

  constructor(code: RouterErrorCode, message: string, fields?: FieldError[]) {
    super(message);
    this.name = 'RouterError';
    this.code = code;
    this.statusCode = ROUTER_ERRORS[code];
    this.fields = fields;
  }
}

/** A validation error as fastify hands it over (the shape of TypeBox's and Ajv's errors). */
interface SchemaIssue {
  keyword: string;
  instancePath: string;
  params: unknown;
  message?: string;
}

/**
 * Schema errors as field errors. Unknown fields are named; a union with null
 * (`headerRoute`) reports what is wrong inside the object, not "must be null";
 * `at` prefixes the part of the request (`/body`, `/params`, `/query`).
 */
export function issuesToFields(issues: readonly SchemaIssue[], at: string): FieldError[] {
  const fields: FieldError[] = [];
  for (const issue of issues) {
    const field = at + issue.instancePath;
    if (issue.keyword === 'additionalProperties' || issue.keyword === 'anyOf') continue;
    if (issue.keyword === 'type' && (issue.params as { type?: string }).type === 'null') {
      if (issues.some((other) => other !== issue && other.instancePath.startsWith(issue.instancePath))) continue;
    }
    if (issue.keyword === 'boolean') fields.push({ field, message: 'unknown field' });
    else if (issue.keyword === 'required') fields.push(...missing(field, issue.params));
    else fields.push({ field, message: issue.message ?? issue.keyword });
  }
  return unique(fields);
}

function missing(field: string, params: unknown): FieldError[] {
  const names = (params as { requiredProperties?: string[]; missingProperty?: string }) ?? {};
  const list = names.requiredProperties ?? (names.missingProperty ? [names.missingProperty] : []);
  return list.map((name) => ({ field: `${field}/${name}`, message: 'is required' }));
}

function unique(fields: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return fields.filter((f) => {
    const key = `${f.field}\u0000${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** One line naming every bad field, for the `message` of a 400. */
export function describeFields(fields: readonly FieldError[]): string {
  return fields.map((f) => `${f.field || '(body)'} ${f.message}`).join('; ');
}
