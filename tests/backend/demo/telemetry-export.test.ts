import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { SpanStatusCode } from '@opentelemetry/api';

import { createLokiPush, createTracing } from '../../../backend/src/demo/telemetry-export.ts';
import type { CountsObservation } from '../../../backend/src/domain/gates/observation.ts';
import { createLokiProvider } from '../../../backend/src/telemetry/loki.ts';
import { createTempoProvider } from '../../../backend/src/telemetry/tempo.ts';
import type { ObserveContext } from '../../../backend/src/telemetry/types.ts';
import { startLokiFixture } from '../../fixtures/loki/server.ts';
import { startTempoFixture } from '../../fixtures/tempo/server.ts';

function aContext(now: number, since: number): ObserveContext {
  return { service: 'shop', baseline: 'v1', canary: 'v2', now, lagMs: 0, timeoutMs: 2_000, windowEnd: null, since };
}

describe('Loki push', () => {
  test('pushes pino lines under the stream labels, and the Loki provider counts them', async () => {
    const loki = await startLokiFixture();
    const since = 1_700_000_000_000;
    const canary = createLokiPush({ url: loki.url, labels: { service: 'shop', version: 'v2' } });
    const baseline = createLokiPush({ url: loki.url, labels: { service: 'shop', version: 'v1' } });
    const declined = JSON.stringify({ level: 50, msg: 'card declined' });
    for (let i = 0; i < 8; i++) {
      canary.push(JSON.stringify({ level: 30, msg: 'request completed' }), since + 1000 + i);
      baseline.push(JSON.stringify({ level: 30, msg: 'request completed' }), since + 1000 + i);
    }
    canary.write(`${declined}\n${declined}\n`);
    await Promise.all([canary.close(), baseline.close()]);

    const obs = (await createLokiProvider({ url: loki.url }).observe(
      { name: 'e', kind: 'error-rate', provider: 'loki' },
      aContext(Date.now() + 1000, since)
    )) as CountsObservation;

    assert.deepEqual(obs.canary, { ok: true, value: { requests: 8, errors: 2 } });
    assert.deepEqual(canary.stats(), { sent: 10, pending: 0, dropped: 0, lastError: null });
    const push = loki.requests.find((r) => r.path === '/loki/api/v1/push')!;
    assert.equal(push.headers['content-type'], 'application/json');
    await loki.close();
  });

  test('gives every entry its own nanosecond, so Loki never drops a repeated line as a duplicate', async () => {
    const bodies: string[] = [];
    const capture: typeof fetch = async (_url, init) => {
      bodies.push(String(init?.body));
      return new Response(null, { status: 204 });
    };
    const push = createLokiPush({ url: 'http://loki.invalid', labels: { service: 's' }, fetch: capture });
    push.push('same line', 1_700_000_000_000);
    push.push('same line', 1_700_000_000_000);
    await push.close();

    const values = (JSON.parse(bodies[0]!) as { streams: { values: [string, string][] }[] }).streams[0]!.values;
    assert.deepEqual(
      values.map((v) => v[0]),
      ['1700000000000000000', '1700000000000000001']
    );
  });

  test('sends the tenant as X-Scope-OrgID', async () => {
    const loki = await startLokiFixture({ requireTenant: true });
    const push = createLokiPush({ url: loki.url, tenant: 'team-a', labels: { service: 'shop' } });
    push.push('hello');
    await push.close();
    assert.equal(push.stats().sent, 1);
    assert.equal(loki.requests[0]!.headers['x-scope-orgid'], 'team-a');
    await loki.close();
  });

  test('keeps lines and says why when Loki refuses them, never throwing into the service', async () => {
    const loki = await startLokiFixture({ requireTenant: true });
    const push = createLokiPush({ url: loki.url, labels: { service: 'shop' }, maxBuffered: 2 });
    push.push('a');
    push.push('b');
    push.push('c');
    await push.close();

    assert.deepEqual(push.stats(), { sent: 0, pending: 2, dropped: 1, lastError: 'Loki answered HTTP 401: no org id' });
    await loki.close();
  });
});

describe('OpenTelemetry tracing', () => {
  test('exports spans over OTLP/HTTP, and the Tempo provider counts them per version', async () => {
    const tempo = await startTempoFixture();
    const tracing = createTracing({ url: tempo.url, serviceName: 'shop', serviceVersion: 'v2', tenant: 'team-a' });
    const since = Date.now() - 60_000;
    for (let i = 0; i < 6; i++) {
      const span = tracing.tracer.startSpan('GET /cart');
      if (i < 2) span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
      span.end();
    }
    await tracing.flush();
    await tracing.shutdown();

    assert.equal(tempo.spans.length, 6);
    assert.equal(tempo.requests[0]!.headers['x-scope-orgid'], 'team-a');
    const provider = createTempoProvider({ url: tempo.url, stepMs: 1000 });
    const obs = (await provider.observe(
      { name: 'e', kind: 'error-rate', provider: 'tempo' },
      aContext(Date.now() + 2000, since)
    )) as CountsObservation;
    assert.deepEqual(obs.canary, { ok: true, value: { requests: 6, errors: 2 } });
    await tempo.close();
  });
});
