import React, { type ReactNode } from 'react';
import { EmptyState, LoadingPlaceholder } from '@grafana/ui';

import type { QueryState } from '../hooks/useSentraQuery';
import { ErrorNotice } from './ErrorNotice';

interface Props<T> {
  query: Pick<QueryState<T>, 'data' | 'error' | 'loading' | 'refetch'>;
  /** What is being loaded, for the loading and error texts. */
  what: string;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}

/**
 * The loading, error and empty states every page shares. Data already shown
 * stays on screen while it is fetched again; a failure after that is shown
 * above it.
 */
export function Loadable<T>({ query, what, isEmpty, empty, children }: Props<T>) {
  const { data, error, loading, refetch } = query;
  if (data === undefined) {
    if (error !== undefined) {
      return <ErrorNotice error={error} action={`Loading ${what}`} onRetry={loading ? undefined : refetch} />;
    }
    return <LoadingPlaceholder text={`Loading ${what}…`} />;
  }
  return (
    <>
      {error !== undefined && (
        <ErrorNotice error={error} action={`Refreshing ${what}`} onRetry={refetch} severity="warning" />
      )}
      {isEmpty?.(data) ? (empty ?? <EmptyState variant="not-found" message={`No ${what} yet`} />) : children(data)}
    </>
  );
}
