import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Observation } from '../../../backend/src/domain/gates/observation.ts';
import { failed, noData } from '../../../backend/src/domain/gates/observation.ts';
import { judgeGate } from '../../../backend/src/domain/gates/judge.ts';
import type { Planned } from '../../../backend/src/domain/plan.ts';
import { applyAction, planTick } from '../../../backend/src/domain/plan.ts';
import type { Policy } from '../../../backend/src/domain/policy.ts';
import type { Rollout } from '../../../backend/src/domain/rollout.ts';
import { routingFor } from '../../../backend/src/domain/rollout.ts';
import { FakeClock, aDomainRollout, aPolicy, counts, cumulative } from '../../support/domain.ts';

/** Drives one rollout tick by tick, as the loop would, with one observation per gate per tick. */
class Driver {
  rollout: Rollout;
  readonly clock = new FakeClock();
  last: Planned | null = null;

  constructor(policy: Policy = aPolicy()) {
    this.rollout = aDomainRollout(policy, this.clock.now);
  }

  tick(observe: (gate: string) => Observation, advanceMs = 1000): Planned {
    this.clock.advance(advanceMs);
    const results = [];
    const gateState = { ...this.rollout.gateState };
    for (const gate of this.rollout.policy.gates) {
      const judged = judgeGate(gate, observe(gate.name), gateState[gate.name]!, { failTicks: 2 });
      results.push(judged.result);
      gateState[gate.name] = judged.state;
    }
    this.last = planTick(this.rollout, results, gateState, this.clock.now);
    this.rollout = this.last.next;
    return this.last;
  }
}

/** Cumulative router counters growing by `perTick` canary and 19× baseline requests each tick. */
function traffic(canaryErrorRatio: number, perTick = 20) {
  let canary = { requests: 0, errors: 0 };
  let baseline = { requests: 0, errors: 0 };
  return () => {
    canary = { requests: canary.requests + perTick, errors: canary.errors + Math.round(perTick * canaryErrorRatio) };
    baseline = { requests: baseline.requests + perTick * 19, errors: baseline.errors };
    return cumulative(counts(canary.requests, canary.errors), counts(baseline.requests, baseline.errors));
  };
}

describe('rollout planning, tick by tick', () => {
  it('advances a healthy canary through every step after each minimum duration and completes it', () => {
    const driver = new Driver();
    const feed = traffic(0);
    const weights: number[] = [];
    for (let i = 0; i < 60 && driver.rollout.phase === 'progressing'; i++) {
      const planned = driver.tick(feed);
      if (planned.decision.kind === 'advance' || planned.decision.kind === 'complete')
        weights.push(planned.next.desired.weight);
    }
    assert.deepEqual(weights, [15, 30, 50, 100]);
    assert.equal(driver.rollout.phase, 'completed');
    assert.equal(driver.last?.decision.kind, 'complete');
  });

  it('holds a healthy step until its minimum duration has passed', () => {
    const driver = new Driver();
    const feed = traffic(0);
    for (let i = 0; i < 9; i++) assert.equal(driver.tick(feed).decision.kind, 'hold');
    assert.equal(driver.rollout.desired.weight, 5);
  });

  it('rolls back a canary failing 40% of requests as soon as the evidence is in, and puts all traffic on the baseline', () => {
    const driver = new Driver();
    const feed = traffic(0.4);
    const kinds = [];
    for (let i = 0; i < 10 && driver.rollout.phase === 'progressing'; i++) kinds.push(driver.tick(feed).decision.kind);
    assert.equal(driver.rollout.phase, 'rolled_back');
    assert.equal(kinds.at(-1), 'rollback');
    assert.ok(kinds.length <= 4, `rolled back after ${kinds.length} ticks`);
    assert.deepEqual(driver.rollout.desired, { weight: 0, headerRoute: null });
    assert.match(driver.last!.decision.reason, /errors fail: canary error rate above tolerated/);
  });

  it('holds while the canary has no series, then pauses when the no-data budget is spent, never rolling back', () => {
    const driver = new Driver();
    const empty = () => cumulative(noData('no series for version v2'), counts(1000, 1));
    const kinds = [];
    for (let i = 0; i < 5; i++) kinds.push(driver.tick(empty).decision.kind);
    assert.deepEqual(kinds, ['hold', 'hold', 'hold', 'hold', 'pause']);
    assert.equal(driver.rollout.phase, 'paused');
    assert.match(
      driver.rollout.pauseReason!,
      /no data for 5 ticks in a row: errors inconclusive: no series for version v2/
    );
    assert.equal(driver.rollout.desired.weight, 5);
  });

  it('pauses after the policy number of failed queries in a row, and never advances meanwhile', () => {
    const driver = new Driver();
    const down = () =>
      ({ kind: 'value', window: { from: 0, to: 0 }, value: failed('HTTP 503: query timed out') }) as Observation;
    const kinds = [1, 2, 3].map(() => driver.tick(down, 5000).decision.kind);
    assert.deepEqual(kinds, ['hold', 'hold', 'pause']);
    assert.match(
      driver.rollout.pauseReason!,
      /telemetry failed for 3 ticks in a row: errors error: HTTP 503: query timed out/
    );
    assert.equal(driver.rollout.stepIndex, 0);
  });

  it('does not carry a step forward on old evidence when the canary traffic stops', () => {
    const driver = new Driver(aPolicy({ limits: { noDataTicks: 5 } }));
    const feed = traffic(0, 200);
    let frozen: Observation | undefined;
    for (let i = 0; i < 3; i++) driver.tick(() => (frozen = feed()));
    const kinds = [];
    for (let i = 0; i < 5; i++) kinds.push(driver.tick(() => frozen!, 3000).decision.kind);
    assert.deepEqual(kinds, ['hold', 'hold', 'hold', 'hold', 'pause']);
    assert.equal(driver.rollout.stepIndex, 0);
    assert.equal(driver.last!.decision.verdicts[0]!.inconclusive, 'no-data');
  });

  it('needs a threshold to be crossed on consecutive ticks before it rolls back', () => {
    const policy = aPolicy({
      gates: [{ name: 'ratio', kind: 'error-ratio', provider: 'router', max: 0.05, window: '30s', minSamples: 10 }],
    });
    const driver = new Driver(policy);
    const window = (errors: number) => () =>
      ({ ...(cumulative(counts(100, errors), counts(1900, 2)) as object), mode: 'window' }) as Observation;
    assert.equal(driver.tick(window(9)).decision.kind, 'hold');
    assert.equal(driver.last!.decision.verdicts[0]!.inconclusive, 'unconfirmed');
    assert.equal(driver.tick(window(1)).decision.kind, 'hold');
    assert.equal(driver.tick(window(9)).decision.kind, 'hold');
    assert.equal(driver.tick(window(9)).decision.kind, 'rollback');
  });
});

describe('operator actions', () => {
  it('aborts during a pause step: all traffic back on the baseline, and a second abort changes nothing and says so', () => {
    const policy = aPolicy({
      steps: [
        { weight: 20, minDuration: '1s', pause: true },
        { weight: 50, minDuration: '1s' },
      ],
    });
    const driver = new Driver(policy);
    const feed = traffic(0, 100);
    while (driver.rollout.phase === 'progressing') driver.tick(feed);
    assert.equal(driver.rollout.phase, 'paused');
    assert.equal(driver.rollout.awaitingResume, true);

    const aborted = applyAction(driver.rollout, 'abort', 'alice', driver.clock.advance(60_000));
    assert.ok(aborted.ok);
    assert.equal(aborted.planned.next.phase, 'aborted');
    assert.deepEqual(aborted.planned.next.desired, { weight: 0, headerRoute: null });
    assert.equal(aborted.planned.decision.actor, 'alice');

    const again = applyAction(aborted.planned.next, 'abort', 'alice', driver.clock.advance(1000));
    assert.deepEqual(again, { ok: false, reason: 'rollout is already aborted; abort changes nothing' });
  });

  it('resumes a step that waits for an operator by moving to the next step', () => {
    const policy = aPolicy({
      steps: [
        { weight: 20, minDuration: '1s', pause: true },
        { weight: 50, minDuration: '1s' },
      ],
    });
    const driver = new Driver(policy);
    const feed = traffic(0, 100);
    while (driver.rollout.phase === 'progressing') driver.tick(feed);
    const resumed = applyAction(driver.rollout, 'resume', 'bob', driver.clock.advance(1000));
    assert.ok(resumed.ok);
    assert.equal(resumed.planned.next.stepIndex, 1);
    assert.equal(resumed.planned.next.desired.weight, 50);
  });

  it('promotes one step at a time and completes after the last', () => {
    let rollout = aDomainRollout(
      aPolicy({
        steps: [
          { weight: 10, minDuration: '1h' },
          { weight: 60, minDuration: '1h' },
        ],
      })
    );
    const first = applyAction(rollout, 'promote', 'carol', rollout.startedAt + 1);
    assert.ok(first.ok);
    rollout = first.planned.next;
    assert.equal(rollout.desired.weight, 60);
    const second = applyAction(rollout, 'promote', 'carol', rollout.startedAt + 2);
    assert.ok(second.ok);
    assert.equal(second.planned.decision.kind, 'complete');
    assert.equal(second.planned.next.desired.weight, 100);
  });

  it('refuses to resume a rollout that is not paused', () => {
    const result = applyAction(aDomainRollout(), 'resume', 'dan', 0);
    assert.deepEqual(result, { ok: false, reason: 'rollout is progressing, not paused' });
  });
});

describe('routing state', () => {
  it('carries a header route over later steps until the rollout ends', () => {
    const policy = aPolicy({
      steps: [
        { weight: 10, minDuration: '1s' },
        { headerRoute: { header: 'x-canary', value: '1' }, minDuration: '1s' },
        { pause: true, minDuration: '1s' },
        { weight: 25, minDuration: '1s' },
      ],
    });
    const at = (stepIndex: number) => routingFor({ phase: 'progressing', stepIndex, policy });
    assert.deepEqual(at(0), { weight: 10, headerRoute: null });
    assert.deepEqual(at(2), { weight: 10, headerRoute: { header: 'x-canary', value: '1' } });
    assert.deepEqual(at(3), { weight: 25, headerRoute: { header: 'x-canary', value: '1' } });
    assert.deepEqual(routingFor({ phase: 'aborted', stepIndex: 3, policy }), { weight: 0, headerRoute: null });
  });
});

describe('a step whose evidence leans bad', () => {
  const policy = aPolicy({
    steps: [
      { weight: 5, minDuration: '10s', maxDuration: '20s' },
      { weight: 50, minDuration: '10s' },
    ],
  });
  const doubt = {
    gate: 'errors',
    kind: 'error-rate' as const,
    provider: 'router' as const,
    verdict: 'inconclusive' as const,
    inconclusive: 'unconfirmed' as const,
    reason: 'canary error rate leans above tolerated 1× baseline',
    observed: 0.06,
    baselineObserved: 0.002,
    threshold: 0.002,
    samples: { canary: 46, baseline: 893 },
    window: { from: 0, to: 0 },
    evidence: { logLikelihoodRatio: 3, pValue: 0.05, accepted: false, expectedMoreSamples: 20 },
  };

  it('is never advanced, and is held past its max duration for the test to decide before it pauses', () => {
    const rollout = aDomainRollout(policy);
    const at = (seconds: number) =>
      planTick(rollout, [doubt], rollout.gateState, rollout.stepStartedAt + seconds * 1000).decision.kind;
    assert.equal(at(15), 'hold');
    assert.equal(at(25), 'hold');
    assert.equal(at(59), 'hold');
    assert.equal(at(60), 'pause');
  });

  it('pauses at its max duration when a gate simply lacks samples', () => {
    const rollout = aDomainRollout(policy);
    const few = { ...doubt, inconclusive: 'too-few-samples' as const, evidence: null };
    assert.equal(planTick(rollout, [few], rollout.gateState, rollout.stepStartedAt + 20_000).decision.kind, 'pause');
  });
});
