import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { judgeGate } from '../../../backend/src/domain/gates/judge.ts';
import type {
  CountsObservation,
  Observation,
  ValueObservation,
} from '../../../backend/src/domain/gates/observation.ts';
import { freshGateState } from '../../../backend/src/domain/gates/result.ts';
import type { ErrorRateGate, QueryGate } from '../../../backend/src/domain/gates/schemas.ts';
import { frameScalar } from '../../../backend/src/telemetry/grafana-frames.ts';
import { createGrafanaProvider } from '../../../backend/src/telemetry/grafana.ts';
import type { ObserveContext } from '../../../backend/src/telemetry/types.ts';
import { startGrafanaFixture } from '../../fixtures/grafana/server.ts';
import type { GrafanaFixture } from '../../fixtures/grafana/server.ts';
import { startLokiFixture } from '../../fixtures/loki/server.ts';
import type { LokiFixture } from '../../fixtures/loki/server.ts';
import { startTempoFixture } from '../../fixtures/tempo/server.ts';
import type { TempoFixture } from '../../fixtures/tempo/server.ts';

const T0 = 1_700_000_000_000;
const NOW = T0 + 60_000;
const TOKEN = 'glsa_test_token';

function aContext(overrides: Partial<ObserveContext> = {}): ObserveContext {
  return {
    service: 'shop',
    baseline: 'v1',
    canary: 'v2',
    now: NOW,
    lagMs: 2_000,
    timeoutMs: 3_000,
    windowEnd: null,
    since: T0,
    ...overrides,
  };
}

function queryGate(uid: string, query: string): QueryGate {
  return { name: 'q', kind: 'query', provider: 'grafana', datasourceUid: uid, query, op: '<', threshold: 10 };
}

function value(obs: Observation) {
  assert.equal(obs.kind, 'value');
  return (obs as ValueObservation).value;
}

function counts(obs: Observation): CountsObservation {
  assert.equal(obs.kind, 'counts');
  return obs as CountsObservation;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A real Prometheus (Debian's package) with no targets: enough to evaluate PromQL such as `vector(3)`. */
async function startPrometheus(): Promise<{ url: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sentra-prom-'));
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\n');
  const port = await freePort();
  const child: ChildProcess = spawn(
    '/usr/bin/prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' }
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false
    );
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('Grafana provider', () => {
  let loki: LokiFixture;
  let tempo: TempoFixture;
  let prometheus: { url: string; stop: () => Promise<void> };
  let grafana: GrafanaFixture;

  before(async () => {
    [loki, tempo, prometheus] = await Promise.all([startLokiFixture(), startTempoFixture(), startPrometheus()]);
    grafana = await startGrafanaFixture({
      token: TOKEN,
      datasources: [
        { uid: 'prom', type: 'prometheus', url: prometheus.url },
        { uid: 'logs', type: 'loki', url: loki.url },
        { uid: 'traces', type: 'tempo', url: tempo.url },
        { uid: 'sheets', type: 'grafana-googlesheets-datasource', url: 'http://127.0.0.1:9' },
      ],
    });
    const request = JSON.stringify({ level: 30, msg: 'request completed' });
    loki.add(
      { service: 'shop', version: 'v2' },
      Array.from({ length: 12 }, (_, i) => [T0 + 1000 + i, request])
    );
    loki.add({ service: 'shop', version: 'v2' }, [[T0 + 2000, JSON.stringify({ level: 50, msg: 'boom' })]]);
    loki.add(
      { service: 'shop', version: 'v1' },
      Array.from({ length: 30 }, (_, i) => [T0 + 1000 + i, request])
    );
    for (let i = 0; i < 25; i++) {
      for (const version of ['v1', 'v2']) {
        tempo.add({
          attrs: { 'resource.service.name': 'shop', 'resource.service.version': version },
          startMs: T0 + 1000 + i * 100,
          durationNs: 5_000_000n,
          status: version === 'v2' && i < 5 ? 'error' : 'unset',
        });
      }
    }
  });
  after(async () => {
    await grafana.close();
    await Promise.all([loki.close(), tempo.close(), prometheus.stop()]);
  });

  const provider = () => createGrafanaProvider({ url: grafana.url, token: TOKEN });

  test('runs Loki queries through a Loki data source, with the same windows as the Loki provider', async () => {
    const gate: ErrorRateGate = { name: 'e', kind: 'error-rate', provider: 'grafana', datasourceUid: 'logs' };
    const obs = counts(await provider().observe(gate, aContext()));

    assert.equal(obs.mode, 'increment');
    assert.deepEqual(obs.canary, { ok: true, value: { requests: 12, errors: 1 } });
    assert.deepEqual(obs.baseline, { ok: true, value: { requests: 30, errors: 0 } });
    const sent = grafana.requests.find((r) => r.path === '/api/ds/query')!;
    assert.equal(sent.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual((sent.body as { queries: { datasource: unknown }[] }).queries[0]!.datasource, {
      uid: 'logs',
      type: 'loki',
    });
  });

  test('counts spans through a Tempo data source, turning rate() into a count over the window', async () => {
    const gate: ErrorRateGate = { name: 'e', kind: 'error-rate', provider: 'grafana', datasourceUid: 'traces' };
    const obs = counts(await provider().observe(gate, aContext()));

    assert.deepEqual(obs.canary, { ok: true, value: { requests: 25, errors: 5 } });
    assert.deepEqual(obs.baseline, { ok: true, value: { requests: 25, errors: 0 } });
  });

  test('reads cumulative counters through a Prometheus data source', async () => {
    const gate: ErrorRateGate = {
      name: 'e',
      kind: 'error-rate',
      provider: 'grafana',
      datasourceUid: 'prom',
      query: { requests: 'vector(1200)', errors: 'vector(7)' },
    };
    const obs = counts(await provider().observe(gate, aContext({ now: Date.now() })));

    assert.equal(obs.mode, 'cumulative');
    assert.deepEqual(obs.canary, { ok: true, value: { requests: 1200, errors: 7 } });
  });

  test('judges a query gate on a value computed by a real Prometheus', async () => {
    const gate = queryGate('prom', 'vector(3)');
    const obs = await provider().observe(gate, aContext({ now: Date.now() }));

    assert.deepEqual(value(obs), { ok: true, value: 3 });
    assert.equal(judgeGate(gate, obs, freshGateState(), { failTicks: 1 }).result.verdict, 'pass');
  });

  test('looks a data source’s type up once and remembers it', async () => {
    const p = provider();
    const before = grafana.requests.filter((r) => r.path === '/api/datasources/uid/prom').length;
    await p.observe(queryGate('prom', 'vector(1)'), aContext({ now: Date.now() }));
    await p.observe(queryGate('prom', 'vector(2)'), aContext({ now: Date.now() }));
    const after = grafana.requests.filter((r) => r.path === '/api/datasources/uid/prom').length;
    assert.equal(after - before, 1);
  });

  describe('Grafana traps', () => {
    const rows: { trap: string; uid: string; query: string; token?: string; check: (obs: Observation) => void }[] = [
      {
        trap: 'NaN comes as null plus an entity: the value is NaN, which is no data',
        uid: 'prom',
        query: 'vector(NaN)',
        check: (obs) => {
          const v = value(obs);
          assert.ok(v.ok && Number.isNaN(v.value));
          assert.equal(
            judgeGate(queryGate('prom', 'x'), obs, freshGateState(), { failTicks: 1 }).result.verdict,
            'inconclusive'
          );
        },
      },
      {
        trap: 'an infinity comes as null plus an entity: the value is Infinity, which compares',
        uid: 'prom',
        query: 'vector(+Inf)',
        check: (obs) => {
          assert.deepEqual(value(obs), { ok: true, value: Number.POSITIVE_INFINITY });
          assert.equal(
            judgeGate(queryGate('prom', 'x'), obs, freshGateState(), { failTicks: 1 }).result.verdict,
            'fail'
          );
        },
      },
      {
        trap: 'one failed query makes the answer HTTP 400: the reason is read from its result',
        uid: 'prom',
        query: 'sum(rate(',
        check: (obs) => {
          const v = value(obs);
          assert.equal(v.ok, false);
          assert.match(
            !v.ok ? v.reason : '',
            /^Grafana answered HTTP 400: the data source answered an error: .*parse error/
          );
        },
      },
      {
        trap: 'a Loki error through Grafana carries Loki’s own text',
        uid: 'logs',
        query: 'sum(count_over_time(nonsense[1m]))',
        check: (obs) => {
          const v = value(obs);
          assert.match(!v.ok ? v.reason : '', /the data source answered an error: parse error at line 1/);
        },
      },
      {
        trap: 'several series for one value is an error, never the first one taken',
        uid: 'prom',
        query: 'label_replace(vector(1), "pod", "a", "", "") or label_replace(vector(2), "pod", "b", "", "")',
        check: (obs) => {
          const v = value(obs);
          assert.match(!v.ok ? v.reason : '', /expected 1 series for .*, got 2/);
        },
      },
      {
        trap: 'an empty answer is a frame with no fields: no data, not zero',
        uid: 'prom',
        query: 'vector(1) > 5',
        check: (obs) =>
          assert.deepEqual(value(obs), { ok: false, kind: 'no-data', reason: 'no series for vector(1) > 5' }),
      },
      {
        trap: 'a wrong token is an error with Grafana’s message',
        uid: 'prom',
        query: 'vector(1)',
        token: 'wrong',
        check: (obs) =>
          assert.deepEqual(value(obs), {
            ok: false,
            kind: 'error',
            reason: 'Grafana answered HTTP 401: invalid API key',
          }),
      },
      {
        trap: 'an unknown data source is an error naming Grafana’s answer',
        uid: 'nope',
        query: 'vector(1)',
        check: (obs) =>
          assert.deepEqual(value(obs), {
            ok: false,
            kind: 'error',
            reason: 'Grafana answered HTTP 404: Data source not found',
          }),
      },
      {
        trap: 'a data source of a type Sentra cannot read is refused by name',
        uid: 'sheets',
        query: 'A1:B2',
        check: (obs) => {
          const v = value(obs);
          assert.match(
            !v.ok ? v.reason : '',
            /type grafana-googlesheets-datasource; Sentra reads prometheus, loki and tempo/
          );
        },
      },
    ];
    for (const row of rows) {
      test(row.trap, async () => {
        const p = createGrafanaProvider({ url: grafana.url, token: row.token ?? TOKEN });
        row.check(await p.observe(queryGate(row.uid, row.query), aContext({ now: Date.now() })));
      });
    }
  });
});

describe('Grafana data frames', () => {
  const frame = (values: unknown[][], entities?: unknown[], labels: Record<string, string> = {}) => ({
    schema: {
      fields: [
        { name: 'Time', type: 'time' },
        { name: 'Value', type: 'number', labels },
      ],
    },
    data: { values, ...(entities ? { entities } : {}) },
  });

  test('values are columnar: the last row of the number column is the value', () => {
    assert.deepEqual(
      frameScalar(
        {
          frames: [
            frame([
              [1, 2, 3],
              [0.1, 0.2, 0.3],
            ]),
          ],
        },
        'q'
      ),
      { ok: true, value: 0.3 }
    );
  });

  test('a negative infinity is restored from its entity', () => {
    assert.deepEqual(frameScalar({ frames: [frame([[1], [null]], [null, { NegInf: [0] }])] }, 'q'), {
      ok: true,
      value: Number.NEGATIVE_INFINITY,
    });
  });

  test('a null that no entity explains is a missing point, not a zero', () => {
    assert.deepEqual(frameScalar({ frames: [frame([[1], [null]])] }, 'q'), { ok: true, value: null });
  });

  test('malformed frames give a reason or no series, never a crash', () => {
    const odd: { frames?: unknown }[] = [
      { frames: 'nope' },
      { frames: [null, { schema: null }, { schema: { fields: 'x' } }] },
      { frames: [{ schema: { fields: [{ type: 'number' }] }, data: { values: [[null]], entities: [{ NaN: 'x' }] } }] },
      { frames: [{ schema: { fields: [{ type: 'number' }] }, data: { values: 7 } }] },
    ];
    for (const result of odd) {
      const answer = frameScalar(result, 'q');
      assert.ok(!answer.ok || answer.value === null, JSON.stringify(answer));
    }
  });

  test('two number columns are two series', () => {
    const answer = frameScalar(
      { frames: [frame([[1], [1]], undefined, { pod: 'a' }), frame([[1], [2]], undefined, { pod: 'b' })] },
      'q'
    );
    assert.deepEqual(answer, {
      ok: false,
      kind: 'error',
      reason: 'expected 1 series for q, got 2: {pod="a"}, {pod="b"}',
    });
  });
});
