import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { DemoTelemetry } from '../../../backend/src/demo/policy.ts';
import { demoPolicy } from '../../../backend/src/demo/policy.ts';
import { validatePolicy } from '../../../backend/src/domain/policy.ts';

const TELEMETRY: DemoTelemetry[] = ['router', 'prometheus', 'service-metrics'];

test('the demo policy is valid whatever its gates read', () => {
  for (const telemetry of TELEMETRY) {
    const result = validatePolicy(demoPolicy(telemetry));
    assert.equal(result.ok, true, `${telemetry}: ${JSON.stringify(result)}`);
  }
});

test('the same gates judge every kind of telemetry', () => {
  const names = TELEMETRY.map((t) => demoPolicy(t).gates.map((g) => `${g.name}:${g.kind}`));
  assert.deepEqual(names[0], ['error-rate:error-rate', 'error-ratio:error-ratio', 'slow-requests:latency']);
  assert.deepEqual(names[1], [...names[0]!, 'recent-5xx:query']);
  assert.deepEqual(names[2], names[1]);
});

test("behind a real proxy every gate asks Prometheus for the demo service's own metrics", () => {
  for (const gate of demoPolicy('service-metrics').gates) {
    assert.equal(gate.provider, 'prometheus', gate.name);
    const text = JSON.stringify(gate.query);
    assert.match(text, /sentra_demo_request(s_total|_duration_seconds)/, gate.name);
    assert.doesNotMatch(text, /sentra_router/, gate.name);
  }
});

test("with the router every gate reads the router's metrics, by default queries or its own counters", () => {
  for (const telemetry of ['router', 'prometheus'] as const) {
    for (const gate of demoPolicy(telemetry).gates) {
      assert.equal(gate.provider, telemetry, gate.name);
      if (gate.kind !== 'query') assert.equal(gate.query, undefined, gate.name);
      else assert.match(gate.query, /sentra_router_requests_total/);
    }
  }
});
