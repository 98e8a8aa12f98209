import type { Observation } from '../domain/gates/observation.ts';
import { failed } from '../domain/gates/observation.ts';
import { judgeContext, judgeGate } from '../domain/gates/judge.ts';
import type { GateResult, GateState } from '../domain/gates/result.ts';
import { freshGateState } from '../domain/gates/result.ts';
import type { Gate } from '../domain/gates/schemas.ts';
import { resolveLimits } from '../domain/policy.ts';
import type { Rollout } from '../domain/rollout.ts';
import type { ObserveContext, Providers } from '../telemetry/types.ts';

export interface Judgement {
  results: GateResult[];
  gateState: Record<string, GateState>;
}

/**
 * Asks every gate's provider for this tick's readings (all gates at once) and
 * judges them. A provider that is not configured, throws, or overruns its
 * timeout gives that gate an `error` verdict; the other gates are unaffected.
 */
export async function observeAndJudge(rollout: Rollout, providers: Providers, now: number): Promise<Judgement> {
  const limits = resolveLimits(rollout.policy.limits);
  const judging = judgeContext(rollout.policy);
  const judged = await Promise.all(
    rollout.policy.gates.map(async (gate) => {
      const state = rollout.gateState[gate.name] ?? freshGateState();
      const ctx: ObserveContext = {
        service: rollout.service,
        baseline: rollout.baseline,
        canary: rollout.canary,
        now,
        lagMs: limits.telemetryLagMs,
        timeoutMs: limits.queryTimeoutMs,
        windowEnd: state.windowEnd,
        since: rollout.startedAt,
      };
      const observation = await observeSafely(gate, providers, ctx);
      return [gate.name, judgeGate(gate, observation, state, judging)] as const;
    })
  );
  return {
    results: judged.map(([, j]) => j.result),
    gateState: Object.fromEntries(judged.map(([name, j]) => [name, j.state])),
  };
}

/** Grace beyond the query timeout before a provider that ignores it is given up on. */
const TIMEOUT_GRACE_MS = 1000;

async function observeSafely(gate: Gate, providers: Providers, ctx: ObserveContext): Promise<Observation> {
  const window = { from: ctx.windowEnd ?? ctx.since, to: ctx.now - ctx.lagMs };
  const provider = providers[gate.provider];
  if (!provider) {
    return errorObservation(`provider "${gate.provider}" is not configured on this backend`, window);
  }
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<Observation>((resolve) => {
    timer = setTimeout(
      () => resolve(errorObservation(`${gate.provider} did not answer within ${ctx.timeoutMs} ms`, window)),
      ctx.timeoutMs + TIMEOUT_GRACE_MS
    );
  });
  try {
    return await Promise.race([provider.observe(gate, ctx), overrun]);
  } catch (error) {
    return errorObservation(`${gate.provider} provider failed: ${(error as Error).message}`, window);
  } finally {
    clearTimeout(timer);
  }
}

/** A value observation carrying an error: every gate kind judges it as `error`. */
function errorObservation(reason: string, window: { from: number; to: number }): Observation {
  return { kind: 'value', window, value: failed(reason) };
}
