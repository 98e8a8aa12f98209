import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { judgeGate } from '../../../backend/src/domain/gates/judge.ts';
import type {
  CountsObservation,
  Observation,
  TemplatesObservation,
} from '../../../backend/src/domain/gates/observation.ts';
import { freshGateState } from '../../../backend/src/domain/gates/result.ts';
import type { ErrorRateGate, Gate, NewErrorsGate } from '../../../backend/src/domain/gates/schemas.ts';
import { parseStreams } from '../../../backend/src/telemetry/loki-lines.ts';
import { streamSelector } from '../../../backend/src/telemetry/loki-query.ts';
import { createLokiProvider } from '../../../backend/src/telemetry/loki.ts';
import type { ObserveContext } from '../../../backend/src/telemetry/types.ts';
import { startLokiFixture } from '../../fixtures/loki/server.ts';
import type { LokiFixture } from '../../fixtures/loki/server.ts';

const T0 = 1_700_000_000_000;
const SINCE = T0;
const NOW = T0 + 60_000;
const LAG = 2_000;

function aContext(overrides: Partial<ObserveContext> = {}): ObserveContext {
  return {
    service: 'shop',
    baseline: 'v1',
    canary: 'v2',
    now: NOW,
    lagMs: LAG,
    timeoutMs: 2_000,
    windowEnd: null,
    since: SINCE,
    ...overrides,
  };
}

const errorRate: ErrorRateGate = { name: 'errors', kind: 'error-rate', provider: 'loki' };
const newErrors: NewErrorsGate = {
  name: 'new-errors',
  kind: 'new-errors',
  provider: 'loki',
  minOccurrences: 2,
  baselineLookback: '10m',
};

const request = (status = 200) => JSON.stringify({ level: 30, msg: 'request completed', res: { statusCode: status } });
const error = (msg: string) => JSON.stringify({ level: 50, msg });

/** `n` lines a second apart, starting at `startMs`. */
function spaced(n: number, startMs: number, line: (i: number) => string): [number, string][] {
  return Array.from({ length: n }, (_, i) => [startMs + i * 1000, line(i)]);
}

function counts(obs: Observation): CountsObservation {
  assert.equal(obs.kind, 'counts');
  return obs as CountsObservation;
}

function templates(obs: Observation): TemplatesObservation {
  assert.equal(obs.kind, 'templates');
  return obs as TemplatesObservation;
}

describe('Loki provider', () => {
  describe('error-rate gates', () => {
    test('counts requests and error lines per version as increments over the window since the last tick', async () => {
      const fixture = await startLokiFixture();
      fixture.add(
        { service: 'shop', version: 'v2' },
        spaced(20, T0 + 1000, () => request())
      );
      fixture.add(
        { service: 'shop', version: 'v2' },
        spaced(3, T0 + 1500, (i) => error(`boom ${i}`))
      );
      fixture.add(
        { service: 'shop', version: 'v1' },
        spaced(40, T0 + 1000, () => request())
      );
      const provider = createLokiProvider({ url: fixture.url });

      const obs = counts(await provider.observe(errorRate, aContext()));

      assert.equal(obs.mode, 'increment');
      assert.deepEqual(obs.window, { from: SINCE, to: NOW - LAG });
      assert.deepEqual(obs.canary, { ok: true, value: { requests: 20, errors: 3 } });
      assert.deepEqual(obs.baseline, { ok: true, value: { requests: 40, errors: 0 } });
      await fixture.close();
    });

    test('the next tick counts only what came after the last window', async () => {
      const fixture = await startLokiFixture();
      fixture.add(
        { service: 'shop', version: 'v2' },
        spaced(10, T0 + 1000, () => request())
      );
      fixture.add(
        { service: 'shop', version: 'v2' },
        spaced(5, NOW + 1000, () => request())
      );
      fixture.add(
        { service: 'shop', version: 'v1' },
        spaced(10, T0 + 1000, () => request())
      );
      fixture.add(
        { service: 'shop', version: 'v1' },
        spaced(5, NOW + 1000, () => request())
      );
      const provider = createLokiProvider({ url: fixture.url });

      const later = aContext({ windowEnd: NOW - LAG, now: NOW + 10_000 });
      const obs = counts(await provider.observe(errorRate, later));

      assert.deepEqual(obs.window, { from: NOW - LAG, to: NOW + 8_000 });
      assert.deepEqual(obs.canary, { ok: true, value: { requests: 5, errors: 0 } });
      await fixture.close();
    });

    test('a canary with many more error lines than requests fails the sequential test', async () => {
      const fixture = await startLokiFixture();
      fixture.add(
        { service: 'shop', version: 'v2' },
        spaced(50, T0 + 100, () => request(500))
      );
      fixture.add(
        { service: 'shop', version: 'v2' },
        spaced(50, T0 + 200, (i) => error(`db timeout ${i}`))
      );
      fixture.add(
        { service: 'shop', version: 'v1' },
        spaced(50, T0 + 100, () => request())
      );
      const provider = createLokiProvider({ url: fixture.url });

      const obs = await provider.observe(errorRate, aContext());
      const judged = judgeGate(errorRate, obs, freshGateState(), { failTicks: 2 });

      assert.equal(judged.result.verdict, 'fail');
      assert.match(judged.result.reason, /canary 50\/50/);
      await fixture.close();
    });

    test('sends the tenant as X-Scope-OrgID when one is configured', async () => {
      const fixture = await startLokiFixture({ requireTenant: true });
      fixture.add(
        { service: 'shop', version: 'v2' },
        spaced(2, T0 + 1000, () => request()),
        'team-a'
      );
      fixture.add(
        { service: 'shop', version: 'v1' },
        spaced(2, T0 + 1000, () => request()),
        'team-a'
      );
      const provider = createLokiProvider({ url: fixture.url, tenant: 'team-a' });

      const obs = counts(await provider.observe(errorRate, aContext()));

      assert.deepEqual(obs.canary, { ok: true, value: { requests: 2, errors: 0 } });
      assert.ok(fixture.requests.every((r) => r.headers['x-scope-orgid'] === 'team-a'));
      await fixture.close();
    });

    test('holds all of a tick’s queries to one timeout, a stream check after the counts included', async () => {
      const fixture = await startLokiFixture();
      fixture.add(
        { service: 'shop', version: 'v2' },
        spaced(5, T0 + 1000, () => request())
      );
      fixture.add(
        { service: 'shop', version: 'v1' },
        spaced(5, T0 + 1000, () => request())
      );
      fixture.delayMs = 300;
      const provider = createLokiProvider({ url: fixture.url });

      // The counts take 300 ms; the stream check that follows would end at 600 ms, past the 450 ms budget.
      const obs = counts(await provider.observe(errorRate, aContext({ timeoutMs: 450 })));

      assert.deepEqual(obs.canary, { ok: false, kind: 'error', reason: 'Loki did not answer within 450 ms' });
      await fixture.close();
    });

    test('really aborts a query that runs longer than the timeout', async () => {
      const fixture = await startLokiFixture();
      fixture.delayMs = 500;
      const provider = createLokiProvider({ url: fixture.url });

      const obs = counts(await provider.observe(errorRate, aContext({ timeoutMs: 50 })));

      assert.deepEqual(obs.canary, { ok: false, kind: 'error', reason: 'Loki did not answer within 50 ms' });
      fixture.delayMs = 0;
      await fixture.close();
    });
  });

  test('answers a query gate with one LogQL metric query for the canary', async () => {
    const fixture = await startLokiFixture();
    fixture.add(
      { service: 'shop', version: 'v2' },
      spaced(4, T0 + 1000, (i) => error(`x ${i}`))
    );
    const gate: Gate = {
      name: 'q',
      kind: 'query',
      provider: 'loki',
      query: 'sum(count_over_time({service="$service", version="$version"} [$window]))',
      op: '<',
      threshold: 10,
    };
    const obs = await createLokiProvider({ url: fixture.url }).observe(gate, aContext());

    assert.equal(obs.kind, 'value');
    assert.deepEqual(obs.kind === 'value' && obs.value, { ok: true, value: 4 });
    await fixture.close();
  });

  describe('new-errors gates', () => {
    test('reads error lines per version and fails on a template only the canary writes', async () => {
      const fixture = await startLokiFixture();
      fixture.add(
        { service: 'shop', version: 'v2' },
        spaced(3, T0 + 1000, (i) => error(`payment provider rejected card ${4000 + i}`))
      );
      fixture.add(
        { service: 'shop', version: 'v2' },
        spaced(2, T0 + 1200, (i) => error(`cache miss for key ${i}`))
      );
      fixture.add(
        { service: 'shop', version: 'v1' },
        spaced(4, T0 - 300_000, (i) => error(`cache miss for key ${i + 90}`))
      );
      const provider = createLokiProvider({ url: fixture.url });

      const obs = templates(await provider.observe(newErrors, aContext()));
      const judged = judgeGate(newErrors, obs, freshGateState(), { failTicks: 2 });

      assert.equal(judged.result.verdict, 'fail');
      assert.match(judged.result.reason, /"payment provider rejected card <num>" 3 times/);
      assert.match(judged.result.reason, /example: \{"level":50,"msg":"payment provider rejected card 4000"\}/);
      await fixture.close();
    });

    test('the baseline is read back over its lookback on the first tick only', async () => {
      const fixture = await startLokiFixture();
      fixture.add(
        { service: 'shop', version: 'v2' },
        spaced(1, T0 + 1000, () => error('x'))
      );
      fixture.add(
        { service: 'shop', version: 'v1' },
        spaced(1, T0 + 1000, () => error('x'))
      );
      const provider = createLokiProvider({ url: fixture.url });

      await provider.observe(newErrors, aContext());
      await provider.observe(newErrors, aContext({ windowEnd: NOW - LAG, now: NOW + 5_000 }));

      const starts = fixture.requests.filter((r) => r.path.endsWith('query_range')).map((r) => r.params.get('start'));
      const ns = (ms: number) => `${ms}000000`;
      assert.deepEqual(starts.sort(), [ns(SINCE), ns(SINCE - 600_000), ns(NOW - LAG), ns(NOW - LAG)].sort());
      await fixture.close();
    });

    test('a version cut short by the line limit ends its window at its last line; the next tick reads on', async () => {
      const fixture = await startLokiFixture();
      fixture.add(
        { service: 'shop', version: 'v2' },
        spaced(5, T0 + 1000, (i) => error(`disk full ${i}`))
      );
      fixture.add(
        { service: 'shop', version: 'v1' },
        spaced(1, T0 + 1000, () => error('unrelated'))
      );
      const provider = createLokiProvider({ url: fixture.url, lineLimit: 3 });

      const first = templates(await provider.observe(newErrors, aContext()));
      assert.equal(first.window.to, T0 + 3000);
      assert.deepEqual(first.canary.ok && first.canary.value.map((t) => t.count), [2]);

      // Tick on until the window reaches now − lag: every line is read once.
      let windowEnd = first.window.to;
      let total = 2;
      for (let tick = 0; tick < 5 && windowEnd < NOW - LAG; tick++) {
        const next = templates(await provider.observe(newErrors, aContext({ windowEnd })));
        total += next.canary.ok ? next.canary.value.reduce((sum, t) => sum + t.count, 0) : 0;
        windowEnd = next.window.to;
      }
      assert.equal(windowEnd, NOW - LAG);
      assert.equal(total, 5);
      await fixture.close();
    });
  });
});

/**
 * Loki's traps, one row each: what Loki does, and what Sentra must make of it.
 */
describe('Loki traps', () => {
  const stream = { service: 'shop', version: 'v2' };
  const base = { service: 'shop', version: 'v1' };

  const rows: { trap: string; gate: Gate; setup: (loki: LokiFixture) => void; check: (obs: Observation) => void }[] = [
    {
      trap: 'error bodies are plain text, not JSON: the reading is an error carrying Loki’s text',
      gate: errorRate,
      setup: (loki) => loki.failNext(400, 'parse error at line 1, col 26: syntax error: unexpected IDENTIFIER'),
      check: (obs) => {
        const c = counts(obs);
        const failedSide = [c.canary, c.baseline].find((r) => !r.ok);
        assert.deepEqual(failedSide, {
          ok: false,
          kind: 'error',
          reason: 'Loki answered HTTP 400: parse error at line 1, col 26: syntax error: unexpected IDENTIFIER',
        });
      },
    },
    {
      trap: 'a 5xx with a plain-text body is an error, never a crash',
      gate: errorRate,
      setup: (loki) => {
        loki.failNext(503, 'too many outstanding requests');
        loki.failNext(503, 'too many outstanding requests');
      },
      check: (obs) => {
        const c = counts(obs);
        assert.ok(
          [c.canary, c.baseline].some(
            (r) => !r.ok && r.reason === 'Loki answered HTTP 503: too many outstanding requests'
          )
        );
      },
    },
    {
      trap: 'no matching error line means no series: zero errors when the stream wrote lines',
      gate: errorRate,
      setup: (loki) => {
        loki.add(
          stream,
          spaced(10, T0 + 1000, () => request())
        );
        loki.add(
          base,
          spaced(10, T0 + 1000, () => request())
        );
      },
      check: (obs) => assert.deepEqual(counts(obs).canary, { ok: true, value: { requests: 10, errors: 0 } }),
    },
    {
      trap: 'no series and no line at all from the stream means no data, not zero',
      gate: errorRate,
      setup: (loki) =>
        loki.add(
          base,
          spaced(10, T0 + 1000, () => request())
        ),
      check: (obs) =>
        assert.deepEqual(counts(obs).canary, {
          ok: false,
          kind: 'no-data',
          reason: 'no log line from shop v2 in the window',
        }),
    },
    {
      trap: 'one malformed line would fail a metric query: the default queries drop parser errors',
      gate: errorRate,
      setup: (loki) => {
        loki.add(
          stream,
          spaced(10, T0 + 1000, () => request())
        );
        loki.add(stream, [[T0 + 1500, 'panic: not json at all']]);
        loki.add(
          base,
          spaced(10, T0 + 1000, () => request())
        );
      },
      check: (obs) => assert.deepEqual(counts(obs).canary, { ok: true, value: { requests: 10, errors: 0 } }),
    },
    {
      trap: 'one malformed line under a query without `__error__=""`: an error with Loki’s pipeline text',
      gate: {
        ...errorRate,
        query: {
          requests:
            'sum(count_over_time({service="$service", version="$version"} | json | msg="request completed" [$window]))',
          errors: 'sum(count_over_time({service="$service", version="$version"} | json | level="50" [$window]))',
        },
      },
      setup: (loki) => {
        loki.add(
          stream,
          spaced(10, T0 + 1000, () => request())
        );
        loki.add(stream, [[T0 + 1500, 'panic: not json at all']]);
        loki.add(
          base,
          spaced(10, T0 + 1000, () => request())
        );
      },
      check: (obs) => {
        const canary = counts(obs).canary;
        assert.equal(canary.ok, false);
        assert.match(
          !canary.ok ? canary.reason : '',
          /^Loki answered HTTP 400: pipeline error: 'JSONParserErr' for series/
        );
      },
    },
    {
      trap: 'the newest seconds are still arriving: lines after now − lag are left for the next tick',
      gate: errorRate,
      setup: (loki) => {
        loki.add(
          stream,
          spaced(10, T0 + 1000, () => request())
        );
        loki.add(stream, [
          [NOW - 1000, request()],
          [NOW - 500, request()],
        ]);
        loki.add(
          base,
          spaced(10, T0 + 1000, () => request())
        );
      },
      check: (obs) => {
        assert.equal(obs.window.to, NOW - LAG);
        assert.deepEqual(counts(obs).canary, { ok: true, value: { requests: 10, errors: 0 } });
      },
    },
    {
      trap: 'several series for one version is an error naming them, never the first one taken',
      gate: {
        ...errorRate,
        query: {
          requests: 'count_over_time({service="$service", version="$version"} | json | __error__="" [$window])',
          errors: 'sum(count_over_time({service="$service", version="$version"} |= "nothing" [$window]))',
        },
      },
      setup: (loki) => {
        loki.add(
          { ...stream, pod: 'a' },
          spaced(3, T0 + 1000, () => request())
        );
        loki.add(
          { ...stream, pod: 'b' },
          spaced(3, T0 + 1000, () => request())
        );
        loki.add(
          base,
          spaced(3, T0 + 1000, () => request())
        );
      },
      check: (obs) => {
        const canary = counts(obs).canary;
        assert.match(!canary.ok ? canary.reason : '', /^expected 1 series for .*, got 2/);
      },
    },
    {
      trap: 'a NaN sample is no data',
      gate: errorRate,
      setup: (loki) => {
        const nan = { status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, 'NaN'] }] } };
        loki.answerNext('version="v2"} | json | __error__="" | msg=', nan);
      },
      check: (obs) =>
        assert.deepEqual(counts(obs).canary, { ok: false, kind: 'no-data', reason: 'the count for v2 was NaN' }),
    },
    {
      trap: 'integer timestamps are nanosecond strings: the last nanosecond before the window end is kept',
      gate: newErrors,
      setup: (loki) => {
        const lastNs = BigInt(NOW - LAG) * 1_000_000n - 1n;
        loki.answerNext('version="v2"', {
          status: 'success',
          data: { resultType: 'streams', result: [{ stream, values: [[lastNs.toString(), error('late line')]] }] },
        });
        loki.add(
          base,
          spaced(1, T0 + 1000, () => error('other'))
        );
      },
      check: (obs) => {
        const canary = templates(obs).canary;
        assert.deepEqual(canary.ok && canary.value.map((t) => t.template), ['late line']);
      },
    },
  ];

  for (const row of rows) {
    test(row.trap, async () => {
      const loki = await startLokiFixture();
      try {
        row.setup(loki);
        const obs = await createLokiProvider({ url: loki.url }).observe(row.gate, aContext());
        row.check(obs);
      } finally {
        await loki.close();
      }
    });
  }

  test('nanosecond strings lose their last digits as doubles, which is why they are read with BigInt', () => {
    const ns = '1700000057999999999';
    assert.notEqual(Math.floor(Number(ns) / 1e6), 1700000057999);
    const parsed = parseStreams(
      { status: 'success', data: { resultType: 'streams', result: [{ values: [[ns, 'x']] }] } },
      'q'
    );
    assert.deepEqual(parsed, { ok: true, value: [{ ms: 1700000057999, line: 'x' }] });
  });

  test('the stream selector is found with quotes and escaped braces in label values', () => {
    assert.equal(
      streamSelector('sum(count_over_time({app="a}b", env=~"p\\"r"} |= "{x}" [5m]))'),
      '{app="a}b", env=~"p\\"r"}'
    );
    assert.equal(streamSelector('rate(nothing[5m])'), null);
  });
});
