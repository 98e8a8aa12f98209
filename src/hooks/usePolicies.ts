import type { PolicyRecord } from '../api/types';
import { useSentraQuery, type QueryState } from './useSentraQuery';

export function usePolicies(): QueryState<PolicyRecord[]> {
  const query = useSentraQuery<{ policies: PolicyRecord[] }>('/policies');
  return {
    ...query,
    data: query.data?.policies,
    setData: (update) => query.setData((current) => ({ policies: update(current?.policies) ?? [] })),
  };
}

/** One policy by name; `null` skips the fetch (a new policy). */
export function usePolicy(name: string | null): QueryState<PolicyRecord> {
  return useSentraQuery<PolicyRecord>(name === null ? null : `/policies/${encodeURIComponent(name)}`);
}
