import { useCallback, useEffect, useRef, useState } from 'react';

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

/**
 * Fetches one backend resource and keeps it. A newer request always wins over
 * an older one still in flight; unmounting cancels.
 */
export function useSentraQuery<T>(path: string | null, params?: Params): QueryState<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const [generation, setGeneration] = useState(0);
  const key = path === null ? null : `${path}?${JSON.stringify(params ?? {})}`;
  const lastKey = useRef<string | null>(null);

  useEffect(() => {
    if (key === null || path === null) {
      setLoading(false);
      return;
    }
    if (lastKey.current !== key) {
      setDataState(undefined);
      lastKey.current = key;
    }
    const abort = new AbortController();
    setLoading(true);
    sentraRequest<T>(path, { params, signal: abort.signal }).then(
      (answer) => {
        setDataState(answer);
        setError(undefined);
        setLoading(false);
      },
      (failure) => {
        if (!isCancelled(failure)) {
          setError(failure);
          setLoading(false);
        }
      }
    );
    return () => abort.abort();
    // `key` stands for path and params together.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, generation]);

  const refetch = useCallback(() => setGeneration((g) => g + 1), []);
  const setData = useCallback((update: (current: T | undefined) => T | undefined) => setDataState(update), []);

  return { data, error, loading, refetch, setData };
}
