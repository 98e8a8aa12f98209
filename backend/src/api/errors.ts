import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';

import type { FieldError } from '../domain/policy.ts';

/** Every error the API answers with, and its HTTP status. */
export const ERROR_STATUS = {
  invalid_input: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  not_allowed: 409,
  too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
  internal: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

export const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  message: Type.String(),
  fields: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
});
export type ErrorBody = Type.Static<typeof ErrorBody>;

/** Response schemas for the error statuses a route can answer. */
export function errorResponses(...codes: ErrorCode[]): Record<number, typeof ErrorBody> {
  const statuses = new Set<number>([401, 500, ...codes.map((c) => ERROR_STATUS[c])]);
  return Object.fromEntries([...statuses].map((status) => [status, ErrorBody]));
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly fields: FieldError[] | undefined;

  constructor(code: ErrorCode, message: string, fields?: FieldError[]) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.fields = fields;
  }
}

export function invalid(fields: FieldError[]): ApiError {
  const message = fields.map((f) => `${f.field || 'body'}: ${f.message}`).join('; ');
  return new ApiError('invalid_input', message, fields);
}

/**
 * The one error handler: API errors keep their code; schema failures become
 * `invalid_input` naming each field; a malformed body says so; anything else
 * is logged and answered as a plain 500 without internals.
 */
export function handleError(error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof ApiError) {
    void reply.status(ERROR_STATUS[error.code]).send(body(error.code, error.message, error.fields));
    return;
  }
  if (error.validation) {
    const fields = error.validation.map((v) => fieldOf(error.validationContext ?? 'body', v));
    void reply
      .status(400)
      .send(body('invalid_input', fields.map((f) => `${f.field}: ${f.message}`).join('; '), fields));
    return;
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? 'invalid_input';
    void reply.status(status).send({ ...body(code, clientMessage(error)), statusCode: status });
    return;
  }
  request.log.error({ err: error }, 'request failed');
  void reply.status(500).send(body('internal', 'internal error; the backend log has the details'));
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  401: 'unauthorized',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
};

function clientMessage(error: FastifyError): string {
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
    return `the body is not valid JSON: ${error.message}`;
  }
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'the body is empty; send a JSON object';
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'send the body as application/json';
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'the body is larger than 1 MiB';
  return error.message;
}

function fieldOf(
  part: string,
  v: { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }
): FieldError {
  const base = part === 'body' ? v.instancePath : `${part}${v.instancePath.replaceAll('/', '.')}`;
  if (v.keyword === 'additionalProperties')
    return { field: `${base}/${String(v.params.additionalProperty)}`, message: 'unknown field' };
  if (v.keyword === 'required') return { field: `${base}/${String(v.params.missingProperty)}`, message: 'is required' };
  if (v.keyword === 'enum')
    return { field: base, message: `must be one of: ${(v.params.allowedValues as unknown[]).join(', ')}` };
  return { field: base || part, message: v.message ?? 'is invalid' };
}

export function body(code: ErrorCode, message: string, fields?: FieldError[]): ErrorBody {
  return { statusCode: ERROR_STATUS[code], code, message, ...(fields ? { fields } : {}) };
}
