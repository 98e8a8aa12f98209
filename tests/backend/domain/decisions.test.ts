import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { judgeContext, judgeGate } from '../../../backend/src/domain/gates/judge.ts';
import type { Counts, Observation } from '../../../backend/src/domain/gates/observation.ts';
import { reading } from '../../../backend/src/domain/gates/observation.ts';
import type { GateResult, GateState } from '../../../backend/src/domain/gates/result.ts';
import { applyAction, planTick } from '../../../backend/src/domain/plan.ts';
import type { Policy } from '../../../backend/src/domain/policy.ts';
import { validatePolicy } from '../../../backend/src/domain/policy.ts';
import type { Rollout } from '../../../backend/src/domain/rollout.ts';
import { startRollout } from '../../../backend/src/domain/rollout.ts';
import type { DecisionKind } from '../../../backend/src/domain/vocabulary.ts';

function aPolicy(overrides: Partial<Policy> = {}): Policy {
  return {
    name: 'canary',
    steps: [
      { weight: 5, minDuration: '20s', maxDuration: '1m' },
      { weight: 50, minDuration: '20s', maxDuration: '1m' },
    ],
    gates: [{ name: 'errors', kind: 'error-rate', provider: 'router' }],
    ...overrides,
  };
}

function aRollout(policy: Policy): Rollout {
  return startRollout({
    id: 'r1',
    service: 'checkout',
    baseline: 'v1',
    canary: 'v2',
    policy,
    policyVersion: 1,
    traffic: { controller: 'router' },
    createdBy: 'test',
    now: 0,
  });
}

/** One tick of the loop: every gate judged on counts for this weight, then planned. */
function tick(rollout: Rollout, now: number, perTick: (weight: number) => { canary: Counts; baseline: Counts }) {
  const ctx = judgeContext(rollout.policy);
  const { canary, baseline } = perTick(rollout.desired.weight);
  const results: GateResult[] = [];
  const states: Record<string, GateState> = {};
  for (const gate of rollout.policy.gates) {
    const obs: Observation = {
      kind: 'counts',
      mode: 'increment',
      window: { from: now - 5000, to: now },
      canary: reading(canary),
      baseline: reading(baseline),
    };
    const judged = judgeGate(gate, obs, rollout.gateState[gate.name]!, ctx);
    results.push(judged.result);
    states[gate.name] = judged.state;
  }
  return planTick(rollout, results, states, now);
}

/** 2,000 requests per tick split by weight, each version at its own error rate. */
function traffic(canaryRate: number, baselineRate = 0.01) {
  return (weight: number) => {
    const c = 20 * weight;
    const b = 2000 - c;
    return {
      canary: { requests: c, errors: Math.round(c * canaryRate) },
      baseline: { requests: b, errors: Math.round(b * baselineRate) },
    };
  };
}

function drive(rollout: Rollout, ticks: number, perTick: ReturnType<typeof traffic>) {
  const seen: { kind: DecisionKind; weight: number; phase: string }[] = [];
  let current = rollout;
  for (let i = 1; i <= ticks && current.phase === 'progressing'; i++) {
    const planned = tick(current, i * 5000, perTick);
    current = planned.next;
    seen.push({ kind: planned.decision.kind, weight: current.desired.weight, phase: current.phase });
  }
  return { rollout: current, seen };
}

describe('deciding on evidence, tick by tick', () => {
  it('holds a healthy canary at least the minimum duration and at most the maximum, then advances and completes', () => {
    const { rollout, seen } = drive(aRollout(aPolicy()), 40, traffic(0.01));
    const firstAdvance = seen.findIndex((s) => s.kind === 'advance');
    assert.ok(firstAdvance >= 3 && firstAdvance <= 11, `advanced on tick ${firstAdvance + 1}`);
    assert.ok(seen.slice(0, firstAdvance).every((s) => s.kind === 'hold' && s.weight === 5));
    assert.equal(seen[firstAdvance]!.weight, 50);
    assert.equal(seen.at(-1)!.kind, 'complete');
    assert.equal(rollout.phase, 'completed');
    assert.equal(rollout.desired.weight, 100);
  });

  it('advances at the minimum duration once the evidence accepts the canary', () => {
    const policy = aPolicy({
      steps: [
        { weight: 50, minDuration: '10s', maxDuration: '10m' },
        { weight: 60, minDuration: '10s' },
      ],
    });
    const { seen } = drive(aRollout(policy), 200, traffic(0.01));
    const firstAdvance = seen.findIndex((s) => s.kind === 'advance');
    assert.ok(firstAdvance >= 1 && firstAdvance < 119, `advanced on tick ${firstAdvance + 1}, before the 10m maximum`);
  });

  it('rolls a bad canary back during the minimum duration, as soon as the evidence is in', () => {
    const { rollout, seen } = drive(aRollout(aPolicy()), 20, traffic(0.1));
    assert.equal(rollout.phase, 'rolled_back');
    assert.deepEqual(
      seen.map((s) => s.kind),
      ['rollback']
    );
    assert.equal(rollout.desired.weight, 0);
  });

  it('carries the error-rate evidence into the next step and starts a fresh copy of the test there', () => {
    let rollout = aRollout(aPolicy());
    for (let i = 1; rollout.stepIndex === 0 && i <= 12; i++) rollout = tick(rollout, i * 5000, traffic(0.01)).next;
    assert.equal(rollout.stepIndex, 1);
    const state = rollout.gateState.errors!;
    assert.equal(state.sequential!.starts, 2);
    assert.ok(state.sequential!.step.every((x) => x === 0));
    assert.equal(state.totals.canary.requests, 0);
  });

  it('does not start a new copy when an operator resumes the same step', () => {
    const policy = aPolicy({
      steps: [
        { weight: 5, minDuration: '20s', maxDuration: '1m' },
        { weight: 50, minDuration: '20s' },
      ],
    });
    const { rollout } = drive(aRollout(policy), 2, traffic(0.01));
    const paused = applyAction(rollout, 'pause', 'alice', 10_000);
    assert.ok(paused.ok);
    const resumed = applyAction(paused.planned.next, 'resume', 'alice', 20_000);
    assert.ok(resumed.ok);
    assert.equal(resumed.planned.next.stepIndex, 0);
    assert.equal(resumed.planned.next.gateState.errors!.sequential!.starts, 1);
  });

  it('never rolls back on one noisy tick of a threshold gate', () => {
    const policy = aPolicy({ gates: [{ name: 'ratio', kind: 'error-ratio', provider: 'router', max: 0.02 }] });
    let rollout = aRollout(policy);
    const kinds: DecisionKind[] = [];
    for (let i = 1; i <= 6; i++) {
      const noisy = i === 2;
      const planned = tick(rollout, i * 5000, (weight) => {
        const c = 20 * weight;
        return { canary: { requests: c, errors: noisy ? 20 : 1 }, baseline: { requests: 2000 - c, errors: 19 } };
      });
      kinds.push(planned.decision.kind);
      rollout = planned.next;
    }
    assert.ok(!kinds.includes('rollback'), kinds.join(', '));
    assert.equal(kinds[1], 'hold');
  });
});

describe('validating gates that need more than their schema', () => {
  it('asks a latency gate for a way to judge it', () => {
    const policy = aPolicy({ gates: [{ name: 'lat', kind: 'latency', provider: 'prometheus', threshold: 0.3 }] });
    const checked = validatePolicy(policy);
    assert.equal(checked.ok, false);
    assert.deepEqual(!checked.ok && checked.errors, [
      { field: '/gates/0/maxFraction', message: 'a latency gate needs maxFraction, quantile or compare' },
    ]);
  });

  it('refuses a comparing latency gate with a fixed limit as well', () => {
    const policy = aPolicy({
      gates: [
        { name: 'lat', kind: 'latency', provider: 'prometheus', threshold: 0.3, compare: true, maxFraction: 0.01 },
      ],
    });
    const checked = validatePolicy(policy);
    assert.equal(!checked.ok && checked.errors[0]!.field, '/gates/0/maxFraction');
  });

  it('needs a burn-rate gate’s short window to be shorter than its long one', () => {
    const gate = {
      name: 'burn',
      kind: 'burn-rate',
      provider: 'prometheus',
      objective: 0.999,
      factor: 14.4,
      longWindow: '5m',
      shortWindow: '5m',
    } as const;
    const checked = validatePolicy(aPolicy({ gates: [gate] }));
    assert.deepEqual(!checked.ok && checked.errors, [
      { field: '/gates/0/shortWindow', message: 'must be shorter than longWindow' },
    ]);
  });

  it('names a burn-rate gate’s missing objective', () => {
    const checked = validatePolicy({
      ...aPolicy(),
      gates: [{ name: 'burn', kind: 'burn-rate', provider: 'prometheus', factor: 6 }],
    });
    assert.deepEqual(!checked.ok && checked.errors, [{ field: '/gates/0/objective', message: 'is required' }]);
  });

  it('accepts a policy with every gate kind', () => {
    const checked = validatePolicy(
      aPolicy({
        gates: [
          { name: 'errors', kind: 'error-rate', provider: 'prometheus', tolerance: { relative: 0.1 }, alpha: 0.001 },
          { name: 'lat', kind: 'latency', provider: 'prometheus', threshold: 0.3, compare: true },
          { name: 'burn', kind: 'burn-rate', provider: 'prometheus', objective: 0.999, factor: 14.4 },
        ],
      })
    );
    assert.equal(checked.ok, true);
  });
});
