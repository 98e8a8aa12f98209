import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';

import type { DemoService, DemoServiceOptions } from '../../../backend/src/demo/service.ts';
import { startDemoService } from '../../../backend/src/demo/service.ts';
import type { CountsObservation } from '../../../backend/src/domain/gates/observation.ts';
import { countTemplates } from '../../../backend/src/domain/logs/templates.ts';
import { createLokiProvider } from '../../../backend/src/telemetry/loki.ts';
import type { LokiFixture } from '../../fixtures/loki/server.ts';
import { startLokiFixture } from '../../fixtures/loki/server.ts';
import { startTempoFixture } from '../../fixtures/tempo/server.ts';
import { call } from '../../support/router-harness.ts';

interface LogLine {
  level: number;
  msg: string;
  service: string;
  version: string;
  status?: number;
  err?: { type: string; message: string; stack: string };
}

/** A demo service whose log lines are kept in `lines`. */
async function aDemo(options: Partial<DemoServiceOptions> = {}): Promise<{ demo: DemoService; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const logDestination = { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };
  const demo = await startDemoService({ version: 'v2', service: 'checkout', logDestination, ...options });
  return { demo, lines };
}

/** A small seeded generator, so ratios are tested on a fixed sequence. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

async function statuses(url: string, count: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${url}/orders/${i}`);
    await res.arrayBuffer();
    out[res.status] = (out[res.status] ?? 0) + 1;
  }
  return out;
}

describe('a demo service', () => {
  let demo: DemoService;
  let lines: LogLine[];
  before(async () => {
    ({ demo, lines } = await aDemo());
  });
  after(() => demo.close());

  test('answers JSON naming its version when no fault is set', async () => {
    const res = await call(`${demo.url}/orders/1`, 'GET');

    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(res.body, { ok: true, version: 'v2', path: '/orders/1', delayMs: 0 });
  });

  test('PUT /knobs turns on failures for the next requests, and the function turns them off again', async () => {
    const set = await call(`${demo.url}/knobs`, 'PUT', { errorRatio: 1 });
    assert.equal(set.status, 200);
    assert.equal(set.body.errorRatio, 1);
    assert.deepEqual(await statuses(demo.url, 5), { 500: 5 });

    const result = demo.setKnobs({ errorRatio: 0 });
    assert.equal(result.ok, true);
    assert.deepEqual(await statuses(demo.url, 5), { 200: 5 });
    assert.equal((await call(`${demo.url}/knobs`, 'GET')).body.errorRatio, 0);
  });

  test('each 500 writes an error log line with the status', async () => {
    demo.setKnobs({ errorRatio: 1 });
    const before = lines.length;
    await statuses(demo.url, 3);
    demo.setKnobs({ errorRatio: 0 });

    const failures = lines.slice(before).filter((line) => line.msg === 'request failed');
    assert.equal(failures.length, 3);
    for (const line of failures) {
      assert.deepEqual([line.level, line.status, line.service, line.version], [50, 500, 'checkout', 'v2']);
    }
  });

  test('bad knobs answer 400 naming the field and change nothing', async () => {
    const cases: [unknown, string][] = [
      [{ errorRatio: 2 }, '/errorRatio'],
      [{ latencyMs: -5 }, '/latencyMs'],
      [{ latencyJitterMs: 'lots' }, '/latencyJitterMs'],
      [{ errorLogMessage: '' }, '/errorLogMessage'],
      [{ chaos: true }, '/chaos'],
    ];
    const knobs = demo.knobs();
    for (const [body, field] of cases) {
      const res = await call(`${demo.url}/knobs`, 'PUT', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(
        res.body.fields.map((f: { field: string }) => f.field),
        [field]
      );
    }
    const notJson = await fetch(`${demo.url}/knobs`, { method: 'PUT', body: '{"errorRatio":' });
    assert.equal(notJson.status, 400);
    assert.deepEqual(demo.knobs(), knobs);
  });

  test('the health check stays healthy whatever the knobs say', async () => {
    demo.setKnobs({ errorRatio: 1 });
    const res = await call(`${demo.url}/healthz`, 'GET');
    demo.setKnobs({ errorRatio: 0 });
    assert.deepEqual([res.status, res.body.ok], [200, true]);
  });
});

test('errorLogRatio logs an exception with its message and stack even on a 200 answer', async () => {
  const { demo, lines } = await aDemo({ errorLogRatio: 1, errorLogMessage: 'payment gateway unreachable' });
  try {
    assert.deepEqual(await statuses(demo.url, 4), { 200: 4 });

    const raised = lines.filter((line) => line.msg === 'request raised an exception');
    assert.equal(raised.length, 4);
    for (const line of raised) {
      assert.equal(line.level, 50);
      assert.equal(line.err?.message, 'payment gateway unreachable');
      assert.match(line.err?.stack ?? '', /^DemoFault: payment gateway unreachable\n\s+at /);
    }
  } finally {
    await demo.close();
  }
});

test('the latency knobs set the delay each answer reports', async () => {
  const { demo } = await aDemo({ latencyMs: 30, latencyJitterMs: 20, random: () => 0.5 });
  try {
    const res = await call(`${demo.url}/slow`, 'GET');
    assert.equal(res.body.delayMs, 40);
  } finally {
    await demo.close();
  }
});

test('an error ratio of 0.2 fails about a fifth of the requests', async () => {
  const { demo } = await aDemo({ errorRatio: 0.2, random: seeded(7), logLevel: 'silent' });
  try {
    const counts = await statuses(demo.url, 500);
    const share = (counts[500] ?? 0) / 500;
    assert.ok(share > 0.15 && share < 0.25, `failed ${share}`);
  } finally {
    await demo.close();
  }
});

test('starting with a bad knob or version is refused, naming it', async () => {
  await assert.rejects(startDemoService({ version: 'v2', errorRatio: 1.5 }), /\/errorRatio/);
  await assert.rejects(startDemoService({ version: 'not a version' }), /version/);
});

test('every answered request writes one debug line "request completed" with its status, failed ones included', async () => {
  const { demo, lines } = await aDemo({ logLevel: 'debug', errorRatio: 0.5, random: seeded(3) });
  let counts: Record<string, number>;
  try {
    counts = await statuses(demo.url, 20);
  } finally {
    await demo.close();
  }

  const completed = lines.filter((line) => line.msg === 'request completed');
  assert.equal(completed.length, 20);
  assert.ok(completed.every((line) => line.level === 20));
  const byStatus: Record<string, number> = {};
  for (const line of completed) byStatus[String(line.status)] = (byStatus[String(line.status)] ?? 0) + 1;
  assert.deepEqual(byStatus, counts);
  assert.ok((counts[500] ?? 0) > 0 && (counts[200] ?? 0) > 0, JSON.stringify(counts));
});

test('at the default level a request that succeeds writes no line at all', async () => {
  const { demo, lines } = await aDemo();
  try {
    await statuses(demo.url, 3);
  } finally {
    await demo.close();
  }
  assert.deepEqual(lines, []);
});

test('each {id} in the error log message becomes a five-digit number, so lines differ but share one template', async () => {
  const message = 'java.lang.IllegalStateException: inventory cache for sku {id} not warmed';
  const { demo, lines } = await aDemo({ errorLogRatio: 1, errorLogMessage: message, random: seeded(11) });
  try {
    await statuses(demo.url, 6);
  } finally {
    await demo.close();
  }
  const messages = lines.filter((line) => line.msg === 'request raised an exception').map((line) => line.err!.message);
  assert.equal(messages.length, 6);
  const shape = /^java\.lang\.IllegalStateException: inventory cache for sku \d{5} not warmed$/;
  for (const text of messages) assert.match(text, shape);
  assert.ok(new Set(messages).size > 1, 'the ids vary from line to line');

  const templates = countTemplates(lines.filter((l) => l.level === 50).map((l) => JSON.stringify(l)));
  assert.equal(templates.length, 1);
  assert.match(templates[0]!.template, /inventory cache for sku <num> not warmed/);
});

describe('a demo service with Loki', () => {
  let loki: LokiFixture;
  beforeEach(async () => {
    loki = await startLokiFixture();
  });
  afterEach(() => loki.close());

  test('pushes every line, one per request included, under the labels service and version even when its own output is silent', async () => {
    const since = Date.now() - 1000;
    const { demo, lines } = await aDemo({
      logLevel: 'silent',
      errorRatio: 1,
      loki: { url: loki.url, intervalMs: 50 },
    });
    try {
      await statuses(demo.url, 4);
      demo.setKnobs({ errorRatio: 0 });
      await statuses(demo.url, 6);
    } finally {
      await demo.close();
    }
    assert.deepEqual(lines, [], 'nothing is written locally');

    const gate = { name: 'log-errors', kind: 'error-rate', provider: 'loki' } as const;
    const now = Date.now() + 1000;
    const ctx = {
      service: 'checkout',
      baseline: 'v1',
      canary: 'v2',
      now,
      lagMs: 0,
      timeoutMs: 2000,
      windowEnd: null,
      since,
    };
    const obs = (await createLokiProvider({ url: loki.url }).observe(gate, ctx)) as CountsObservation;
    assert.deepEqual(obs.canary, { ok: true, value: { requests: 10, errors: 4 } });
  });

  test('still writes its own output at its own level besides', async () => {
    const { demo, lines } = await aDemo({ errorRatio: 1, loki: { url: loki.url } });
    try {
      await statuses(demo.url, 2);
    } finally {
      await demo.close();
    }
    assert.deepEqual(
      lines.map((line) => line.msg),
      ['request failed', 'request failed']
    );
    assert.ok(
      loki.requests.some((r) => r.path === '/loki/api/v1/push'),
      'the lines were pushed too'
    );
  });
});

test('with tracing, each request is one span carrying its path and status, with an error status on a 500 only', async (t) => {
  const tempo = await startTempoFixture();
  t.after(() => tempo.close());
  const { demo } = await aDemo({ logLevel: 'silent', tracing: { url: tempo.url } });
  try {
    await statuses(demo.url, 3);
    demo.setKnobs({ errorRatio: 1 });
    await statuses(demo.url, 2);
  } finally {
    await demo.close();
  }

  const spans = tempo.spans.map((s) => ({
    service: s.attrs['resource.service.name'],
    version: s.attrs['resource.service.version'],
    path: s.attrs['span.url.path'],
    code: s.attrs['span.http.response.status_code'],
    status: s.status,
  }));
  const expected = (path: string, code: string, status: string) => ({
    service: 'checkout',
    version: 'v2',
    path,
    code,
    status,
  });
  assert.deepEqual(
    spans.sort((a, b) => a.path!.localeCompare(b.path!) || a.code!.localeCompare(b.code!)),
    [
      expected('/orders/0', '200', 'unset'),
      expected('/orders/0', '500', 'error'),
      expected('/orders/1', '200', 'unset'),
      expected('/orders/1', '500', 'error'),
      expected('/orders/2', '200', 'unset'),
    ]
  );
});
