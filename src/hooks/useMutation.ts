import { useCallback, useEffect, useRef, useState } from 'react';

export interface MutationState<A extends unknown[], T> {
  run: (...args: A) => Promise<T | undefined>;
  running: boolean;
  result: T | undefined;
  error: unknown;
  reset: () => void;
}

/**
 * Runs a write (start, save, action) and keeps its outcome for the page to
 * show. Failures are kept, not thrown: the page shows them once.
 */
export function useMutation<A extends unknown[], T>(call: (...args: A) => Promise<T>): MutationState<A, T> {
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const run = useCallback(
    async (...args: A) => {
      setRunning(true);
      setError(undefined);
      setResult(undefined);
      try {
        const answer = await call(...args);
        if (mounted.current) {
          setResult(answer);
        }
        return answer;
      } catch (failure) {
        if (mounted.current) {
          setError(failure);
        }
        return undefined;
      } finally {
        if (mounted.current) {
          setRunning(false);
        }
      }
    },
    [call]
  );

  const reset = useCallback(() => {
    setError(undefined);
    setResult(undefined);
  }, []);

  return { run, running, result, error, reset };
}
