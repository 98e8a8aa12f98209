import type { ApiErrorBody, ErrorCode, FieldError } from './types';

const CODES: readonly ErrorCode[] = [
  'invalid_input',
  'unauthorized',
  'not_found',
  'conflict',
  'not_allowed',
  'unavailable',
  'internal',
];

/**
 * Any failed call to the backend, whether Sentra answered it (with `code`) or
 * Grafana did on its behalf (proxy errors, roles, sessions).
 */
export class SentraError extends Error {
  readonly status: number;
  /** Set when the Sentra backend itself answered. */
  readonly code: ErrorCode | null;
  readonly fields: FieldError[];
  readonly cancelled: boolean;

  constructor(init: {
    status: number;
    message: string;
    code?: ErrorCode | null;
    fields?: FieldError[];
    cancelled?: boolean;
  }) {
    super(init.message);
    this.name = 'SentraError';
    this.status = init.status;
    this.code = init.code ?? null;
    this.fields = init.fields ?? [];
    this.cancelled = init.cancelled ?? false;
  }
}

function isApiErrorBody(data: unknown): data is ApiErrorBody {
  const body = data as Partial<ApiErrorBody> | null;
  return typeof body === 'object' && body !== null && CODES.includes(body.code as ErrorCode);
}

/** Turns whatever Grafana's fetch threw into a SentraError. */
export function toSentraError(error: unknown): SentraError {
  if (error instanceof SentraError) {
    return error;
  }
  const raw = (error ?? {}) as {
    status?: number;
    data?: unknown;
    message?: string;
    statusText?: string;
    cancelled?: boolean;
  };
  const status = typeof raw.status === 'number' ? raw.status : 0;
  if (isApiErrorBody(raw.data)) {
    const { code, message, fields } = raw.data;
    return new SentraError({ status, code, message, fields: Array.isArray(fields) ? fields : [] });
  }
  const data = raw.data as { message?: unknown } | string | undefined;
  const message =
    (typeof data === 'object' && data !== null && typeof data.message === 'string' && data.message) ||
    (typeof data === 'string' && data) ||
    raw.message ||
    raw.statusText ||
    'no answer';
  return new SentraError({ status, message, cancelled: raw.cancelled === true });
}

export interface ErrorDescription {
  title: string;
  /** What happened and what the user can do about it. */
  detail: string;
}

/**
 * The one place where failures become words. Every page and the panel show
 * errors through this, so the same failure always reads the same.
 */
export function describeError(error: unknown): ErrorDescription {
  const e = toSentraError(error);
  if (e.code !== null) {
    return describeSentraAnswer(e);
  }
  return describeGrafanaAnswer(e);
}

function describeSentraAnswer(e: SentraError): ErrorDescription {
  switch (e.code) {
    case 'unauthorized':
      return {
        title: 'Sentra refused the API token',
        detail:
          'The token Grafana sends does not match the backend’s SENTRA_API_TOKEN. An administrator can set it on the Sentra configuration page.',
      };
    case 'invalid_input':
      return { title: 'Some fields need fixing', detail: withFields(e) };
    case 'not_found':
      return { title: 'Not found', detail: e.message };
    case 'conflict':
      return { title: 'Conflict', detail: e.message };
    case 'unavailable':
      return { title: 'Sentra cannot do this right now', detail: `${e.message}. Try again in a moment.` };
    case 'internal':
      return { title: 'Sentra ran into an error', detail: e.message };
    default:
      return { title: 'Not possible now', detail: e.message };
  }
}

function describeGrafanaAnswer(e: SentraError): ErrorDescription {
  if (e.status === 0) {
    return { title: 'Grafana could not be reached', detail: `Check your network connection (${e.message}).` };
  }
  if (e.status === 401) {
    return { title: 'Your Grafana session has ended', detail: 'Sign in to Grafana again.' };
  }
  if (e.status === 403) {
    return {
      title: 'Your Grafana role does not allow this',
      detail:
        'Viewing rollouts needs the Viewer role; starting rollouts, operator actions and policy changes need Editor.',
    };
  }
  if (e.status === 404) {
    return {
      title: 'Sentra’s API did not know this address',
      detail:
        'Check that the backend URL on the configuration page points at the Sentra backend itself (scheme, host and port, no path).',
    };
  }
  if (e.status === 502 || e.status === 503 || e.status === 504) {
    return {
      title: 'Grafana could not reach the Sentra backend',
      detail: `Check that the backend is running and that the backend URL on the configuration page is right. Grafana said: ${e.message}.`,
    };
  }
  return { title: 'Something went wrong', detail: `${e.message} (HTTP ${e.status}).` };
}

function withFields(e: SentraError): string {
  if (e.fields.length === 0) {
    return e.message;
  }
  return e.fields.map((f) => `${f.field || 'the request'}: ${f.message}`).join('; ');
}
