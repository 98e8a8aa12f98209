import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';

import { freshGateState } from '../../../backend/src/domain/gates/result.ts';
import { PrometheusProvider } from '../../../backend/src/telemetry/prometheus.ts';
import { RouterCounters, growing } from '../../fixtures/prometheus/router-counters.ts';
import { startFakePrometheus } from '../../fixtures/prometheus/server.ts';
import type { FakePrometheus } from '../../fixtures/prometheus/server.ts';
import { T0, TickDriver, aCasePolicy } from '../../support/tick-driver.ts';

/**
 * Case: traffic stops in the middle. Ticks 1–3: 500 canary requests per tick,
 * all good. Ticks 4–8: no new canary requests. Right: ticks 4–8 are
 * inconclusive, the weight is held, and the rollout pauses when the no-traffic
 * budget runs out. Old evidence from ticks 1–3 never carries it forward: not
 * through accumulated counters, and not through a sliding window that still
 * holds the old requests.
 */

const TICK = 5000;

let fake: FakePrometheus;
before(async () => {
  fake = await startFakePrometheus();
});
after(() => fake.close());
beforeEach(() => fake.reset());

test('when canary traffic stops, later ticks are no data, the weight is held and the rollout pauses; old requests never advance it', async () => {
  // The router's counters move 1 s before each tick: 500 canary requests for ticks 1–3, then none.
  new RouterCounters()
    .set('v1', growing({ from: T0 - 600_000 + 4000, everyMs: TICK, perTick: { requests: 5000, errors: 2 } }))
    .set(
      'v2',
      growing({ from: T0 + TICK - 1000, everyMs: TICK, perTick: { requests: 500, errors: 0 }, until: T0 + 3 * TICK })
    )
    .install(fake);
  const policy = aCasePolicy({
    steps: [
      { weight: 10, minDuration: '20s' },
      { weight: 50, minDuration: '20s' },
    ],
    gates: [
      { name: 'window-ratio', kind: 'error-ratio', provider: 'prometheus', max: 0.05, window: '1m', minSamples: 100 },
      { name: 'error-rate', kind: 'error-rate', provider: 'prometheus' },
    ],
    limits: { tickInterval: '5s', telemetryLag: '0s', noDataTicks: 5 },
  });
  const driver = new TickDriver({ provider: new PrometheusProvider({ url: fake.url }), policy });

  const ticks = [];
  for (let n = 1; n <= 8; n++) ticks.push(await driver.tick());

  // Ticks 1–3: traffic flows. The window gate judges what its window holds;
  // the counter gate's first reading is its starting point, then it judges increments.
  assert.deepEqual(
    ticks.slice(0, 3).map((t) => t.result('window-ratio').verdict),
    ['pass', 'pass', 'pass']
  );
  assert.deepEqual(
    ticks.slice(0, 3).map((t) => t.result('window-ratio').samples.canary),
    [500, 1000, 1500]
  );
  assert.deepEqual(
    ticks.slice(1, 3).map((t) => t.result('error-rate').verdict),
    ['pass', 'pass']
  );
  assert.deepEqual(
    ticks.slice(0, 3).map((t) => t.decision.kind),
    ['hold', 'hold', 'hold']
  );

  // Ticks 4–8: the step's minimum time has passed and the window still holds
  // 1500 good requests, yet nothing new arrived: no data, held, then paused.
  for (const tick of ticks.slice(3)) {
    assert.equal(tick.result('window-ratio').verdict, 'inconclusive', `tick ${tick.n}`);
    assert.equal(tick.result('window-ratio').inconclusive, 'no-data');
    // The window reaches back to the rollout's start at most, so its length grows tick by tick.
    assert.match(
      tick.result('window-ratio').reason,
      /^no new canary requests since the last tick \(1500 in the last \d+s, all older\)$/
    );
    assert.equal(tick.result('error-rate').inconclusive, 'no-data');
    assert.equal(
      tick.result('error-rate').reason,
      'no new canary requests since the last tick (1000 in this step so far)'
    );
    assert.equal(tick.rollout.desired.weight, 10);
  }
  assert.deepEqual(
    ticks.slice(3).map((t) => t.decision.kind),
    ['hold', 'hold', 'hold', 'hold', 'pause']
  );
  assert.equal(driver.rollout.phase, 'paused');
  assert.equal(driver.rollout.stepIndex, 0);
  assert.match(driver.rollout.pauseReason ?? '', /^no data for 5 ticks in a row/);

  // Read without knowing where the last window ended, the same window holds 1500 good requests: enough to pass.
  const gate = policy.gates[0]!;
  const blind = await driver.provider.observe(gate, { ...driver.context(freshGateState()), windowEnd: null });
  assert.equal(blind.kind, 'counts');
  assert.deepEqual(blind.kind === 'counts' ? blind.canary : null, { ok: true, value: { requests: 1500, errors: 0 } });
});
