import type { RolloutSummary, SentraEvent } from './types';

/**
 * What an event says about its rollout's summary: the whole new summary for
 * starts and decisions; only the confirmed weight for `rollout.applied`
 * (which needs the summary it applies to). Null for events of other kinds.
 */
export function summaryAfter(event: SentraEvent, current: RolloutSummary | undefined): RolloutSummary | null {
  switch (event.type) {
    case 'rollout.created':
    case 'rollout.decision':
      return event.payload.rollout;
    case 'rollout.applied':
      return current ? { ...current, appliedWeight: event.payload.applied.weight } : null;
    default:
      return null;
  }
}
