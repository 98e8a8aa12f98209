import { lastValueFrom, Observable } from 'rxjs';
import type { BackendSrv, BackendSrvRequest, FetchResponse } from '@grafana/runtime';

/**
 * Grafana's BackendSrv, reduced to what plugins use: `fetch` returns an rxjs
 * Observable of the response, fails with `{ status, data }`, and cancels the
 * request when unsubscribed or when `abortSignal` fires.
 */
export function createBackendSrv(): BackendSrv {
  const fetchObservable = <T>(options: BackendSrvRequest) =>
    new Observable<FetchResponse<T>>((subscriber) => {
      const controller = new AbortController();
      options.abortSignal?.addEventListener('abort', () => controller.abort());
      const hasBody = options.data !== undefined && options.method !== 'GET';
      fetch(withParams(options.url, options.params), {
        method: options.method ?? 'GET',
        headers: {
          accept: 'application/json',
          ...(hasBody ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        body: hasBody ? JSON.stringify(options.data) : undefined,
        signal: controller.signal,
        credentials: 'same-origin',
      }).then(
        async (response) => {
          const text = await response.text();
          const data = parse(text);
          if (response.ok) {
            subscriber.next({
              data: data as T,
              status: response.status,
              statusText: response.statusText,
              ok: true,
              headers: response.headers,
              redirected: response.redirected,
              type: response.type,
              url: response.url,
              config: options,
            });
            subscriber.complete();
          } else {
            subscriber.error({ status: response.status, statusText: response.statusText, data, config: options });
          }
        },
        (error: Error) =>
          subscriber.error({
            status: 0,
            statusText: error.message,
            data: { message: error.message },
            cancelled: controller.signal.aborted,
            config: options,
          })
      );
      return () => controller.abort();
    });

  const request = async <T>(options: BackendSrvRequest) => (await lastValueFrom(fetchObservable<T>(options))).data;
  return {
    fetch: fetchObservable,
    request,
    get: (url: string, params?: BackendSrvRequest['params']) => request({ url, params }),
    post: (url: string, data?: unknown) => request({ url, method: 'POST', data }),
    put: (url: string, data?: unknown) => request({ url, method: 'PUT', data }),
    patch: (url: string, data?: unknown) => request({ url, method: 'PATCH', data }),
    delete: (url: string, data?: unknown) => request({ url, method: 'DELETE', data }),
    datasourceRequest: (options: BackendSrvRequest) => lastValueFrom(fetchObservable(options)),
    chunked: () => {
      throw new Error('chunked requests are not part of this host');
    },
  } as unknown as BackendSrv;
}

function withParams(url: string, params: BackendSrvRequest['params']): string {
  if (!params) {
    return url;
  }
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) {
      query.append(key, String(value));
    }
  }
  const text = query.toString();
  return text ? `${url}${url.includes('?') ? '&' : '?'}${text}` : url;
}

function parse(text: string): unknown {
  if (text === '') {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
