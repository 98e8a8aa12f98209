import assert from 'node:assert/strict';
import { after, beforeEach, describe, test } from 'node:test';

import type { GatewayApiTraffic } from '../../../backend/src/domain/traffic-config.ts';
import { GatewayApiController } from '../../../backend/src/traffic/gateway-api.ts';
import { MAX_CONFLICT_RETRIES } from '../../../backend/src/traffic/kubernetes.ts';
import type { TrafficTarget } from '../../../backend/src/traffic/types.ts';
import { TrafficError } from '../../../backend/src/traffic/types.ts';
import type { FakeApiServer } from '../../fixtures/kubernetes/api-server.ts';
import { startFakeApiServer } from '../../fixtures/kubernetes/api-server.ts';
import {
  anHttpRoute,
  conversation,
  HTTPROUTE_PATH,
  kubeConfigFor,
  saveTranscript,
} from '../../fixtures/kubernetes/routes.ts';
import { recordingLog } from '../../support/upstreams.ts';

const CONFIG: GatewayApiTraffic = {
  controller: 'gateway-api',
  namespace: 'shop',
  httpRoute: 'checkout',
  baselineService: 'checkout-stable',
  canaryService: 'checkout-canary',
};
const TARGET: TrafficTarget = { service: 'checkout', baseline: 'v1', canary: 'v2', config: CONFIG };
const HEADER = { header: 'x-canary', value: '1' };

describe('Gateway API controller against a fake API server', async () => {
  const server: FakeApiServer = await startFakeApiServer();
  after(() => server.close());
  beforeEach(() => {
    server.reset();
    server.put(HTTPROUTE_PATH, anHttpRoute());
  });
  const controller = (log = recordingLog()) => new GatewayApiController({ kubeConfig: kubeConfigFor(server), log });

  test('a whole rollout moves the weights and the header rule, retries a conflict, and leaves the rest of the route alone', async () => {
    const gateway = controller();
    const states = [
      { weight: 10, headerRoute: null },
      { weight: 10, headerRoute: HEADER },
      { weight: 25, headerRoute: HEADER },
      { weight: 50, headerRoute: HEADER },
      { weight: 100, headerRoute: null },
    ];
    for (const [i, state] of states.entries()) {
      if (i === 2) {
        server.interfereBeforeNextReplace(HTTPROUTE_PATH, (route) => {
          route.metadata.labels.owner = 'someone-else';
          route.spec.rules[0].backendRefs[0].port = 81;
        });
      }
      assert.deepEqual(await gateway.apply(TARGET, state), state);
    }

    const route = server.get(HTTPROUTE_PATH)!;
    const original = anHttpRoute();
    assert.deepEqual(route.metadata.labels, { app: 'checkout', owner: 'someone-else' });
    assert.deepEqual(route.metadata.annotations, original.metadata.annotations);
    assert.deepEqual(route.spec.rules[0], {
      ...original.spec.rules[0],
      backendRefs: [{ name: 'static-files', port: 81 }],
    });
    assert.deepEqual(route.spec.rules[1], {
      ...original.spec.rules[1],
      backendRefs: [
        { name: 'checkout-stable', port: 8080, weight: 0 },
        { name: 'checkout-canary', port: 8080, weight: 100 },
      ],
    });
    assert.equal(route.spec.rules.length, 2);
    assert.deepEqual(route.spec.parentRefs, original.spec.parentRefs);
    assert.deepEqual(route.status, original.status);

    await assert.rejects(
      gateway.apply({ ...TARGET, config: { ...CONFIG, httpRoute: 'missing' } }, { weight: 0, headerRoute: null }),
      (error: unknown) => {
        assert.ok(error instanceof TrafficError);
        assert.match(error.message, /HTTPRoute shop\/missing not found/);
        assert.match(error.message, /NotFound/);
        return true;
      }
    );

    assert.deepEqual(conversation(server.requests), [
      'GET 200',
      'PUT 200',
      'GET 200',
      'PUT 200',
      'GET 200',
      'other-writer PUT 200',
      'PUT 409',
      'GET 200',
      'PUT 200',
      'GET 200',
      'PUT 200',
      'GET 200',
      'PUT 200',
      'GET 404',
    ]);
    await saveTranscript('gateway-api-rollout', server.requests);
  });

  test("the header rule requires the header on top of the weighted rule's match and sends to the canary alone", async () => {
    await controller().apply(TARGET, { weight: 10, headerRoute: HEADER });
    const rules = server.get(HTTPROUTE_PATH)!.spec.rules;
    assert.deepEqual(
      rules.map((r: { name: string }) => r.name),
      ['static', 'sentra', 'sentra-header']
    );
    assert.deepEqual(rules[2].matches, [
      { path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'x-canary', value: '1' }] },
    ]);
    assert.deepEqual(rules[2].backendRefs, [{ name: 'checkout-canary', port: 8080, weight: 1 }]);
    assert.deepEqual(rules[2].filters, rules[1].filters);
  });

  test('applying the same state twice sends no second replace', async () => {
    const log = recordingLog();
    const gateway = controller(log);
    await gateway.apply(TARGET, { weight: 30, headerRoute: HEADER });
    await gateway.apply(TARGET, { weight: 30, headerRoute: HEADER });
    assert.deepEqual(conversation(server.requests), ['GET 200', 'PUT 200', 'GET 200']);
    assert.equal(log.entries.length, 1);
  });

  test('weight 0 without a header route leaves only the baseline in the rule', async () => {
    const gateway = controller();
    await gateway.apply(TARGET, { weight: 40, headerRoute: HEADER });
    assert.deepEqual(await gateway.apply(TARGET, { weight: 0, headerRoute: null }), { weight: 0, headerRoute: null });
    const rules = server.get(HTTPROUTE_PATH)!.spec.rules;
    assert.equal(rules.length, 2);
    assert.deepEqual(rules[1].backendRefs, [{ name: 'checkout-stable', port: 8080, weight: 100 }]);
  });

  test('a route that keeps changing is a traffic error after a bounded number of retries', async () => {
    server.interfereBeforeNextReplace(
      HTTPROUTE_PATH,
      (route) => (route.metadata.labels.n = String(Math.random())),
      100
    );
    await assert.rejects(controller().apply(TARGET, { weight: 5, headerRoute: null }), /409 Conflict/);
    const refused = server.requests.filter((r) => r.by === 'sentra' && r.method === 'PUT' && r.status === 409);
    assert.equal(refused.length, MAX_CONFLICT_RETRIES + 1);
  });

  test("a route without Sentra's rule, or a rule without the baseline, is named in the error and left unchanged", async () => {
    await assert.rejects(
      controller().apply({ ...TARGET, config: { ...CONFIG, rule: 'other' } }, { weight: 5, headerRoute: null }),
      /has no rule named "other"/
    );
    await assert.rejects(
      controller().apply(
        { ...TARGET, config: { ...CONFIG, baselineService: 'nope' } },
        { weight: 5, headerRoute: null }
      ),
      /no backendRef to Service nope/
    );
    assert.ok(server.requests.every((r) => r.method === 'GET'));
  });

  test("read says what is in force, and null for a route without Sentra's rule", async () => {
    const gateway = controller();
    assert.deepEqual(await gateway.read(TARGET), { weight: 0, headerRoute: null });
    await gateway.apply(TARGET, { weight: 15, headerRoute: HEADER });
    assert.deepEqual(await gateway.read(TARGET), { weight: 15, headerRoute: HEADER });
    assert.equal(await gateway.read({ ...TARGET, config: { ...CONFIG, rule: 'other' } }), null);
  });
});
