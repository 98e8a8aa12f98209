import type { Rollout, RoutingState } from '../domain/rollout.ts';
import { sameRouting } from '../domain/rollout.ts';
import { isTerminal } from '../domain/vocabulary.ts';
import { F } from '../log-fields.ts';
import type { TrafficTarget } from '../traffic/types.ts';
import type { LoopDeps } from './deps.ts';
import { notify } from './record.ts';

/** A proxy may round a weight; a difference up to this many points is recorded, not treated as a mismatch. */
export const WEIGHT_TOLERANCE = 1;

export type RoutingOutcome =
  { ok: true; applied: RoutingState } | { ok: false; reason: string; applied: RoutingState | null };

export function targetOf(rollout: Rollout): TrafficTarget {
  return { service: rollout.service, baseline: rollout.baseline, canary: rollout.canary, config: rollout.traffic };
}

/**
 * Applies a rollout's whole stored routing state and reads back what is in
 * force. Level-triggered: called on every tick, after every decision and at
 * boot, so a restarted proxy or backend converges on the stored state.
 */
export async function applyRouting(
  deps: LoopDeps,
  rollout: Rollout,
  cause: 'boot' | 'tick' = 'tick'
): Promise<RoutingOutcome> {
  const log = deps.logger.child({ [F.rollout]: rollout.id, [F.service]: rollout.service });
  const kind = rollout.traffic.controller;
  let applied: RoutingState;
  try {
    applied = await deps.trafficFor(rollout.traffic).apply(targetOf(rollout), rollout.desired);
  } catch (error) {
    deps.metrics.trafficErrors.inc({ controller: kind });
    const reason = `${kind} could not apply weight ${rollout.desired.weight}%: ${(error as Error).message}`;
    log.error({ [F.controller]: kind, [F.weight]: rollout.desired.weight, err: error }, 'traffic not shifted');
    return { ok: false, reason, applied: rollout.applied };
  }

  // Re-applying at boot is always on record: it is the first thing a restarted backend does to traffic.
  if (!sameRouting(applied, rollout.applied) || cause === 'boot') {
    await deps.store.recordApplied(rollout.id, applied);
    await deps.store.appendEvents([
      {
        at: deps.clock(),
        type: 'rollout.applied',
        rolloutId: rollout.id,
        service: rollout.service,
        payload: { applied, cause },
      },
    ]);
    await notify(deps);
    log.info({ [F.controller]: kind, [F.weight]: applied.weight, header: applied.headerRoute }, 'traffic shifted');
  }
  // An ended rollout's series is dropped, so that /metrics does not grow with every rollout ever run.
  if (isTerminal(rollout.phase)) deps.metrics.weight.remove({ service: rollout.service, rollout: rollout.id });
  else deps.metrics.weight.set({ service: rollout.service, rollout: rollout.id }, applied.weight);

  const mismatch = describeMismatch(rollout.desired, applied);
  return mismatch ? { ok: false, reason: `${kind} ${mismatch}`, applied } : { ok: true, applied };
}

function describeMismatch(desired: RoutingState, applied: RoutingState): string | null {
  if (Math.abs(desired.weight - applied.weight) > WEIGHT_TOLERANCE) {
    return `reports weight ${applied.weight}% in force, wanted ${desired.weight}%`;
  }
  const want = desired.headerRoute;
  const have = applied.headerRoute;
  if (
    (want === null) !== (have === null) ||
    (want && have && (want.header.toLowerCase() !== have.header.toLowerCase() || want.value !== have.value))
  ) {
    return `reports header route ${have ? `${have.header}: ${have.value}` : 'none'}, wanted ${want ? `${want.header}: ${want.value}` : 'none'}`;
  }
  return null;
}
