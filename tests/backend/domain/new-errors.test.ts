import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { judgeGate } from '../../../backend/src/domain/gates/judge.ts';
import { MAX_BASELINE_TEMPLATES, templateHash } from '../../../backend/src/domain/gates/new-errors.ts';
import { noData, failed, reading } from '../../../backend/src/domain/gates/observation.ts';
import type { TemplatesObservation } from '../../../backend/src/domain/gates/observation.ts';
import { freshGateState } from '../../../backend/src/domain/gates/result.ts';
import type { GateState } from '../../../backend/src/domain/gates/result.ts';
import type { NewErrorsGate } from '../../../backend/src/domain/gates/schemas.ts';
import { countTemplates } from '../../../backend/src/domain/logs/templates.ts';
import { applyAction } from '../../../backend/src/domain/plan.ts';
import { validatePolicy } from '../../../backend/src/domain/policy.ts';
import { startRollout } from '../../../backend/src/domain/rollout.ts';
import { DEFAULT_TRAFFIC } from '../../../backend/src/domain/traffic-config.ts';

const ctx = { failTicks: 2 };

function aGate(overrides: Partial<NewErrorsGate> = {}): NewErrorsGate {
  return { name: 'new-errors', kind: 'new-errors', provider: 'loki', minOccurrences: 3, ...overrides };
}

function aTick(tick: number, canary: string[] | null, baseline: string[] | null): TemplatesObservation {
  return {
    kind: 'templates',
    window: { from: tick * 5000, to: (tick + 1) * 5000 },
    canary: canary === null ? noData('no canary log line in the window') : reading(countTemplates(canary)),
    baseline: baseline === null ? noData('no baseline log line in the window') : reading(countTemplates(baseline)),
  };
}

/** Runs ticks one after another, passing the state through JSON as the store does. */
function run(gate: NewErrorsGate, ticks: TemplatesObservation[], start: GateState = freshGateState()) {
  let state = start;
  return ticks.map((obs) => {
    const judged = judgeGate(gate, obs, state, ctx);
    state = JSON.parse(JSON.stringify(judged.state)) as GateState;
    return { ...judged.result, state };
  });
}

describe('new-errors gate', () => {
  test('fails once a canary-only template has occurred minOccurrences times, naming it with an example', () => {
    const results = run(aGate(), [
      aTick(0, ['payment declined for order 1'], ['cache miss for key 7']),
      aTick(1, ['payment declined for order 2'], ['cache miss for key 8']),
      aTick(2, ['payment declined for order 3'], []),
    ]);
    assert.deepEqual(
      results.map((r) => r.verdict),
      ['inconclusive', 'inconclusive', 'fail']
    );
    assert.equal(results[0]!.inconclusive, 'unconfirmed');
    assert.match(results[2]!.reason, /"payment declined for order <num>" 3 times/);
    assert.match(results[2]!.reason, /example: payment declined for order 1$/);
  });

  test('passes when the baseline writes the same template', () => {
    const results = run(aGate(), [
      aTick(
        0,
        ['timeout after 10ms calling db', 'timeout after 12ms calling db', 'timeout after 9ms calling db'],
        ['timeout after 300ms calling db']
      ),
    ]);
    assert.equal(results[0]!.verdict, 'pass');
  });

  test('forgets a canary template once the baseline writes it too', () => {
    const results = run(aGate(), [
      aTick(0, ['lock wait exceeded on row 5', 'lock wait exceeded on row 6'], ['ok line']),
      aTick(1, ['lock wait exceeded on row 7'], ['lock wait exceeded on row 99']),
    ]);
    assert.equal(results[0]!.verdict, 'inconclusive');
    assert.equal(results[1]!.verdict, 'pass');
    assert.equal(results[1]!.state.templates!.candidates.length, 0);
  });

  test('is inconclusive for lack of data when the canary wrote no line, and never passes on old evidence', () => {
    const results = run(aGate(), [aTick(0, [], []), aTick(1, null, [])]);
    assert.equal(results[0]!.verdict, 'pass');
    assert.equal(results[1]!.verdict, 'inconclusive');
    assert.equal(results[1]!.inconclusive, 'no-data');
  });

  test('is an error carrying the reason when a query failed', () => {
    const obs: TemplatesObservation = { ...aTick(0, [], []), baseline: failed('Loki answered HTTP 400: parse error') };
    const judged = judgeGate(aGate(), obs, freshGateState(), ctx);
    assert.equal(judged.result.verdict, 'error');
    assert.match(judged.result.reason, /parse error/);
  });

  test('keeps its memory across a restart: state read back from JSON judges the same', () => {
    const gate = aGate({ minOccurrences: 2 });
    const first = judgeGate(gate, aTick(0, ['disk full on /data'], []), freshGateState(), ctx);
    const restored = JSON.parse(JSON.stringify(first.state)) as GateState;
    const second = judgeGate(gate, aTick(1, ['disk full on /data'], []), restored, ctx);
    assert.equal(second.result.verdict, 'fail');
    assert.equal(second.state.windowEnd, 10_000);
  });

  test('cannot call a template new once the baseline wrote more templates than are kept', () => {
    const state: GateState = {
      ...freshGateState(),
      templates: {
        baseline: Array.from({ length: MAX_BASELINE_TEMPLATES }, (_, i) => templateHash(`t${i}`)),
        baselineOverflow: false,
        candidates: [],
      },
    };
    const obs = aTick(
      0,
      ['brand new failure', 'brand new failure', 'brand new failure'],
      ['yet another baseline template']
    );
    const judged = judgeGate(aGate(), obs, state, ctx);
    assert.equal(judged.result.verdict, 'inconclusive');
    assert.match(judged.result.reason, /cannot tell whether "brand new failure" is new/);
  });

  test('keeps its templates when the rollout moves to the next step', () => {
    const policy = {
      name: 'p',
      steps: [
        { weight: 10, minDuration: '1m' },
        { weight: 50, minDuration: '1m' },
      ],
      gates: [aGate()],
    };
    const rollout = startRollout({
      id: 'r1',
      service: 'shop',
      baseline: 'v1',
      canary: 'v2',
      policy,
      policyVersion: 1,
      traffic: DEFAULT_TRAFFIC,
      createdBy: 'test',
      now: 0,
    });
    const judged = judgeGate(aGate(), aTick(0, ['odd failure 1'], ['x']), rollout.gateState['new-errors']!, ctx);
    const promoted = applyAction({ ...rollout, gateState: { 'new-errors': judged.state } }, 'promote', 'alice', 60_000);
    assert.ok(promoted.ok);
    const kept = promoted.planned.next.gateState['new-errors']!;
    assert.deepEqual(kept.templates, judged.state.templates);
    assert.equal(kept.failStreak, 0);
  });

  test('a policy refuses a new-errors gate whose provider is not loki', () => {
    const checked = validatePolicy({
      name: 'p',
      steps: [{ weight: 10, minDuration: '1m' }],
      gates: [{ name: 'n', kind: 'new-errors', provider: 'tempo' }],
    });
    assert.equal(checked.ok, false);
    assert.deepEqual(!checked.ok && checked.errors, [
      { field: '/gates/0/provider', message: 'a new-errors gate reads log lines: its provider is loki' },
    ]);
  });
});
