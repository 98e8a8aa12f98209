import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { DemoService, DemoServiceOptions } from '../../../backend/src/demo/service.ts';
import { startDemoService } from '../../../backend/src/demo/service.ts';
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
        [field],
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
