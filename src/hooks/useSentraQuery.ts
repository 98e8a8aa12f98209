import { useCallback, useEffect, useState } from 'react';

import { isCancelled, sentraRequest, type Params } from '../api/client';

export interface QueryState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Fetches again, keeping what is shown until the answer comes. */
  refetch: () => void;
  /** Replaces the data in place (live updates). */
  setData: (update: (current: T | undefined) => T | undefined) => void;
}

interface Settled<T> {
  /** The request (path and params) these answers belong to. */
  key: string | null;
  /** Which fetch of that request answered last. */
  generation: number;
  data?: T;
  error?: unknown;
}

/**
 * Fetches one backend resource and keeps it. A newer request always wins over
 * an older one still in flight; unmounting cancels. What was fetched for
 * other parameters is never shown for these.
 */
export function useSentraQuery<T>(path: string | null, params?: Params): QueryState<T> {
  const [generation, setGeneration] = useState(0);
  const [settled, setSettled] = useState<Settled<T>>({ key: null, generation: -1 });
  const key = path === null ? null : `${path}?${JSON.stringify(params ?? {})}`;

  useEffect(() => {
    if (key === null || path === null) {
      return;
    }
    const abort = new AbortController();
    sentraRequest<T>(path, { params, signal: abort.signal }).then(
      (answer) => setSettled({ key, generation, data: answer }),
      (failure) => {
        if (!isCancelled(failure)) {
          setSettled((last) => ({ key, generation, data: last.key === key ? last.data : undefined, error: failure }));
        }
      }
    );
    return () => abort.abort();
    // `key` stands for path and params together.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, generation]);

  const current = key !== null && settled.key === key;
  const refetch = useCallback(() => setGeneration((g) => g + 1), []);
  const setData = useCallback(
    (update: (current: T | undefined) => T | undefined) => setSettled((last) => ({ ...last, data: update(last.data) })),
    []
  );

  return {
    data: current ? settled.data : undefined,
    error: current ? settled.error : undefined,
    loading: key !== null && !(current && settled.generation === generation),
    refetch,
    setData,
  };
}
