import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';

import { API_BASE } from '../constants';
import { SentraError, toSentraError } from './errors';

export type Params = Record<string, string | number | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  params?: Params;
  data?: unknown;
  signal?: AbortSignal;
}

/**
 * Calls the Sentra backend through Grafana's plugin proxy. Grafana's own
 * error toasts are turned off: callers show failures through describeError,
 * once.
 */
export async function sentraRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const { method = 'GET', params, data, signal } = options;
  const request = getBackendSrv().fetch<T>({
    url: `${API_BASE}${path}`,
    method,
    params: params && definedOnly(params),
    data,
    abortSignal: signal,
    showErrorAlert: false,
    showSuccessAlert: false,
    hideFromInspector: true,
  });
  try {
    const response = await lastValueFrom(request);
    return response.data;
  } catch (error) {
    if (signal?.aborted) {
      throw new SentraError({ status: 0, message: 'cancelled', cancelled: true });
    }
    throw toSentraError(error);
  }
}

function definedOnly(params: Params): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') {
      out[key] = value;
    }
  }
  return out;
}

export function isCancelled(error: unknown): boolean {
  return error instanceof SentraError && error.cancelled;
}
