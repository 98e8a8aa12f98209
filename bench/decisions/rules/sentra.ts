import { judgeContext, judgeGate } from '../../../backend/src/domain/gates/judge.ts';
import type {
  CountsObservation,
  HistogramObservation,
  Observation,
} from '../../../backend/src/domain/gates/observation.ts';
import { reading } from '../../../backend/src/domain/gates/observation.ts';
import type { GateResult, GateState } from '../../../backend/src/domain/gates/result.ts';
import { planTick } from '../../../backend/src/domain/plan.ts';
import type { Policy } from '../../../backend/src/domain/policy.ts';
import { resolveLimits } from '../../../backend/src/domain/policy.ts';
import type { Rollout } from '../../../backend/src/domain/rollout.ts';
import { startRollout } from '../../../backend/src/domain/rollout.ts';
import type { Outcome, Rule, Run } from '../outcome.ts';
import { HORIZON_MS, SLO_BUCKET, WEIGHTS } from '../world.ts';
import type { VersionCounts } from '../world.ts';

/**
 * Sentra's own decision engine, tick by tick with a fake clock: every gate
 * judged by `judgeGate` on the tick's counts, then `planTick` decides, exactly
 * as the backend's loop does. Two gates, both with Sentra's defaults: the
 * canary's error rate against the baseline's, and its share of slow requests
 * against the baseline's.
 */
export function sentraPolicy(minDuration: string, maxDuration: string): Policy {
  return {
    name: 'bench',
    steps: WEIGHTS.map((weight) => ({ weight, minDuration, maxDuration })),
    gates: [
      { name: 'errors', kind: 'error-rate', provider: 'router' },
      { name: 'latency', kind: 'latency', provider: 'router', threshold: SLO_BUCKET, compare: true },
    ],
  };
}

export function sentraRule(id: string, label: string, policy: Policy): Rule {
  return { id, family: 'sentra', label, isDefault: true, knobs: [0], run: (run) => runSentra(run, policy) };
}

function runSentra(run: Run, policy: Policy): Outcome {
  const tick = resolveLimits(policy.limits).tickIntervalMs;
  const ctx = judgeContext(policy);
  let rollout: Rollout = startRollout({
    id: 'bench',
    service: 'svc',
    baseline: 'v1',
    canary: 'v2',
    policy,
    policyVersion: 1,
    traffic: { controller: 'router' },
    createdBy: 'bench',
    now: 0,
  });

  for (let now = tick; now <= HORIZON_MS; now += tick) {
    const window = { from: now - tick, to: now };
    const counts = run.sample(window.from, window.to, rollout.desired.weight);
    const results: GateResult[] = [];
    const states: Record<string, GateState> = {};
    for (const gate of policy.gates) {
      const obs: Observation = gate.kind === 'latency' ? histogram(window, counts) : errors(window, counts);
      const judged = judgeGate(gate, obs, rollout.gateState[gate.name]!, ctx);
      results.push(judged.result);
      states[gate.name] = judged.state;
    }
    rollout = planTick(rollout, results, states, now).next;
    if (rollout.phase === 'rolled_back') return run.end('rollback', now);
    if (rollout.phase === 'completed') return run.end('complete', now);
    if (rollout.phase === 'paused') return run.end('paused', now);
  }
  return run.end('running', HORIZON_MS);
}

function errors(
  window: { from: number; to: number },
  s: { canary: VersionCounts; baseline: VersionCounts }
): CountsObservation {
  const counts = (v: VersionCounts) => reading({ requests: v.requests, errors: v.errors });
  return { kind: 'counts', mode: 'increment', window, canary: counts(s.canary), baseline: counts(s.baseline) };
}

/** Histogram increments with the SLO bucket and +Inf, which is all the slow-share comparison reads. */
function histogram(
  window: { from: number; to: number },
  s: { canary: VersionCounts; baseline: VersionCounts }
): HistogramObservation {
  const buckets = (v: VersionCounts) =>
    reading({
      buckets: [
        { le: SLO_BUCKET, count: v.requests - v.slow },
        { le: Number.POSITIVE_INFINITY, count: v.requests },
      ],
      count: v.requests,
    });
  return { kind: 'histogram', mode: 'increment', window, canary: buckets(s.canary), baseline: buckets(s.baseline) };
}
