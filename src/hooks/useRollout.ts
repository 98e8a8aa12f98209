import { useCallback } from 'react';

import { summaryAfter } from '../api/rolloutEvents';
import type { Decision, GateResult, RolloutDetail, SentraEvent } from '../api/types';
import { useLiveEvents } from './useLiveEvents';
import { useSentraQuery, type QueryState } from './useSentraQuery';

/**
 * One rollout with its steps, decisions and gates (nothing while `id` is null). An event about it is
 * applied at once (so a decision shows within the event's round trip), then
 * the whole record is fetched again for the parts events do not carry.
 */
export function useRollout(id: string | null): QueryState<RolloutDetail> {
  const query = useSentraQuery<RolloutDetail>(id === null ? null : `/rollouts/${encodeURIComponent(id)}`);
  const { setData, refetch } = query;

  const onEvent = useCallback(
    (event: SentraEvent) => {
      if (id === null || event.rolloutId !== id) {
        return;
      }
      setData((current) => current && applyEvent(current, event));
      refetch();
    },
    [id, setData, refetch]
  );
  const onSync = useCallback(() => id !== null && refetch(), [id, refetch]);
  useLiveEvents(onEvent, onSync);
  return query;
}

export function applyEvent(detail: RolloutDetail, event: SentraEvent): RolloutDetail {
  const summary = summaryAfter(event, detail.rollout);
  if (summary === null) {
    return detail;
  }
  const rollout = {
    ...detail.rollout,
    ...summary,
    desired: { weight: summary.weight, headerRoute: summary.headerRoute },
    applied: event.type === 'rollout.applied' ? event.payload.applied : detail.rollout.applied,
  };
  const decision = event.type === 'rollout.decision' ? event.payload.decision : undefined;
  if (!decision || detail.decisions.some((d) => d.seq === decision.seq)) {
    return { ...detail, rollout };
  }
  return {
    ...detail,
    rollout,
    decisions: [...detail.decisions, decision].sort((a, b) => a.seq - b.seq),
    gates: latestGates(detail.gates, decision),
  };
}

function latestGates(gates: GateResult[], decision: Decision): GateResult[] {
  if (decision.verdicts.length === 0) {
    return gates;
  }
  const byName = new Map(gates.map((g) => [g.gate, g]));
  for (const verdict of decision.verdicts) {
    byName.set(verdict.gate, verdict);
  }
  return [...byName.values()];
}
