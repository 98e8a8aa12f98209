import { useCallback } from 'react';

import { summaryAfter } from '../api/rolloutEvents';
import type { Phase, RolloutSummary, SentraEvent } from '../api/types';
import { useLiveEvents } from './useLiveEvents';
import { useSentraQuery, type QueryState } from './useSentraQuery';

export interface RolloutFilter {
  service?: string;
  phase?: Phase;
  limit?: number;
}

/** Rollouts, newest first, kept current from the event stream. */
export function useRollouts(filter: RolloutFilter): QueryState<RolloutSummary[]> {
  const query = useSentraQuery<{ rollouts: RolloutSummary[] }>('/rollouts', {
    service: filter.service,
    phase: filter.phase,
    limit: filter.limit,
  });
  const { setData, refetch } = query;

  const onEvent = useCallback(
    (event: SentraEvent) =>
      setData((current) => {
        const updated =
          current &&
          summaryAfter(
            event,
            current.rollouts.find((r) => r.id === event.rolloutId)
          );
        return current && updated ? { rollouts: mergeRollout(current.rollouts, updated, filter) } : current;
      }),
    [setData, filter]
  );
  useLiveEvents(onEvent, refetch);

  return {
    ...query,
    data: query.data?.rollouts,
    setData: (update) => setData((current) => ({ rollouts: update(current?.rollouts) ?? [] })),
  };
}

export function matchesFilter(rollout: RolloutSummary, filter: RolloutFilter): boolean {
  return (!filter.service || rollout.service === filter.service) && (!filter.phase || rollout.phase === filter.phase);
}

/**
 * Puts an updated rollout in its place: replaced where it was, added on top
 * when new, dropped when it no longer matches the filter.
 */
export function mergeRollout(list: RolloutSummary[], updated: RolloutSummary, filter: RolloutFilter): RolloutSummary[] {
  const rest = list.filter((r) => r.id !== updated.id);
  if (!matchesFilter(updated, filter)) {
    return rest;
  }
  const index = list.findIndex((r) => r.id === updated.id);
  if (index === -1) {
    const merged = [updated, ...rest].sort((a, b) => b.startedAt - a.startedAt);
    return filter.limit ? merged.slice(0, filter.limit) : merged;
  }
  return list.map((r) => (r.id === updated.id ? updated : r));
}
