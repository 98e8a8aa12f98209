import { useCallback } from 'react';

import { sentraRequest } from '../api/client';
import type { ReplayRequest, ReplayResult } from '../api/types';
import { useMutation, type MutationState } from './useMutation';

export type ReplayAnswer = { ok: true; result: ReplayResult } | { ok: false; error: unknown };

/**
 * Asks the backend what a policy would have done over a past range. The
 * backend stores nothing for it; it runs on demand, like a write, because
 * each run asks the telemetry sources again, tick by tick. `onAnswer` hears
 * each answer once, as it arrives, for what the page shows elsewhere.
 */
export function useReplay(onAnswer: (answer: ReplayAnswer) => void): MutationState<[ReplayRequest], ReplayResult> {
  const call = useCallback(
    async (body: ReplayRequest) => {
      try {
        const result = await sentraRequest<ReplayResult>('/replay', { method: 'POST', data: body });
        onAnswer({ ok: true, result });
        return result;
      } catch (error) {
        onAnswer({ ok: false, error });
        throw error;
      }
    },
    [onAnswer]
  );
  return useMutation(call);
}
