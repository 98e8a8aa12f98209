import { Ajv } from 'ajv';
import type { Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const COMMON: Options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false };

/**
 * Two validators: URL query strings and path parameters arrive as text, so
 * their numbers are read as numbers; bodies are JSON and are taken exactly as
 * sent, so `"5"` is not a weight and `true` is not a version.
 */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = addFormats.default(new Ajv({ ...COMMON, coerceTypes: false }));
  const lenient = addFormats.default(new Ajv({ ...COMMON, coerceTypes: true }));
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : lenient;
    return ajv.compile(schema as object);
  };
}
