import assert from 'node:assert/strict';
import { after, beforeEach, describe, test } from 'node:test';

import type { IstioTraffic } from '../../../backend/src/domain/traffic-config.ts';
import { IstioController } from '../../../backend/src/traffic/istio.ts';
import type { TrafficTarget } from '../../../backend/src/traffic/types.ts';
import { TrafficError } from '../../../backend/src/traffic/types.ts';
import type { FakeApiServer } from '../../fixtures/kubernetes/api-server.ts';
import { startFakeApiServer } from '../../fixtures/kubernetes/api-server.ts';
import {
  aVirtualService,
  conversation,
  kubeConfigFor,
  saveTranscript,
  VIRTUALSERVICE_PATH,
} from '../../fixtures/kubernetes/routes.ts';
import { recordingLog } from '../../support/upstreams.ts';

const CONFIG: IstioTraffic = {
  controller: 'istio',
  namespace: 'shop',
  virtualService: 'checkout',
  host: 'checkout',
  baselineSubset: 'stable',
  canarySubset: 'canary',
};
const TARGET: TrafficTarget = { service: 'checkout', baseline: 'v1', canary: 'v2', config: CONFIG };
const HEADER = { header: 'X-Canary', value: '1' };

describe('Istio controller against a fake API server', async () => {
  const server: FakeApiServer = await startFakeApiServer();
  after(() => server.close());
  beforeEach(() => {
    server.reset();
    server.put(VIRTUALSERVICE_PATH, aVirtualService());
  });
  const controller = (log = recordingLog()) => new IstioController({ kubeConfig: kubeConfigFor(server), log });

  test('a whole rollout moves the weights and the header route, retries a conflict, and leaves the rest alone', async () => {
    const istio = controller();
    const states = [
      { weight: 10, headerRoute: null },
      { weight: 10, headerRoute: HEADER },
      { weight: 25, headerRoute: HEADER },
      { weight: 0, headerRoute: null },
    ];
    for (const [i, state] of states.entries()) {
      if (i === 2)
        server.interfereBeforeNextReplace(
          VIRTUALSERVICE_PATH,
          (vs) => (vs.spec.http[0].match[0].uri.prefix = '/admin/v2')
        );
      const applied = await istio.apply(TARGET, state);
      assert.deepEqual(applied, { ...state, headerRoute: state.headerRoute && { header: 'x-canary', value: '1' } });
    }

    const vs = server.get(VIRTUALSERVICE_PATH)!;
    const original = aVirtualService();
    assert.deepEqual(vs.spec.http, [
      { ...original.spec.http[0], match: [{ uri: { prefix: '/admin/v2' } }] },
      { ...original.spec.http[1], route: [{ ...original.spec.http[1].route[0], weight: 100 }] },
    ]);
    assert.deepEqual(vs.spec.hosts, original.spec.hosts);
    assert.deepEqual(vs.metadata.labels, original.metadata.labels);

    await assert.rejects(
      istio.apply({ ...TARGET, config: { ...CONFIG, virtualService: 'missing' } }, { weight: 0, headerRoute: null }),
      (error: unknown) => error instanceof TrafficError && /VirtualService shop\/missing not found/.test(error.message)
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
      'GET 404',
    ]);
    await saveTranscript('istio-rollout', server.requests);
  });

  test('the header route sits just before the weighted route, requires the header in lower case and goes to the canary', async () => {
    await controller().apply(TARGET, { weight: 20, headerRoute: HEADER });
    const http = server.get(VIRTUALSERVICE_PATH)!.spec.http;
    assert.deepEqual(
      http.map((r: { name: string }) => r.name),
      ['admin', 'sentra-header', 'sentra']
    );
    assert.deepEqual(http[1].match, [{ uri: { prefix: '/' }, headers: { 'x-canary': { exact: '1' } } }]);
    assert.deepEqual(http[1].route, [
      { destination: { host: 'checkout', subset: 'canary', port: { number: 8080 } }, weight: 100 },
    ]);
    assert.equal(http[1].timeout, '5s');
    assert.deepEqual(http[2].route, [
      { destination: { host: 'checkout', subset: 'stable', port: { number: 8080 } }, weight: 80 },
      { destination: { host: 'checkout', subset: 'canary', port: { number: 8080 } }, weight: 20 },
    ]);
  });

  test('applying the same state twice sends no second replace', async () => {
    const log = recordingLog();
    const istio = controller(log);
    await istio.apply(TARGET, { weight: 30, headerRoute: HEADER });
    await istio.apply(TARGET, { weight: 30, headerRoute: HEADER });
    assert.deepEqual(conversation(server.requests), ['GET 200', 'PUT 200', 'GET 200']);
    assert.equal(log.entries.length, 1);
  });

  test('a header route placed after the weighted route is not reported in force, and apply moves it before', async () => {
    const vs = aVirtualService();
    vs.spec.http.push({
      name: 'sentra-header',
      match: [{ uri: { prefix: '/' }, headers: { 'x-canary': { exact: '1' } } }],
      route: [{ destination: { host: 'checkout', subset: 'canary' }, weight: 100 }],
    });
    server.put(VIRTUALSERVICE_PATH, vs);
    const istio = controller();
    assert.deepEqual(await istio.read(TARGET), { weight: 0, headerRoute: null });
    await istio.apply(TARGET, { weight: 0, headerRoute: HEADER });
    const names = server.get(VIRTUALSERVICE_PATH)!.spec.http.map((r: { name: string }) => r.name);
    assert.deepEqual(names, ['admin', 'sentra-header', 'sentra']);
  });

  test('the API version can be v1beta1 for clusters on an older Istio', async () => {
    const oldPath = VIRTUALSERVICE_PATH.replace('/v1/', '/v1beta1/');
    server.put(oldPath, aVirtualService());
    const applied = await controller().apply(
      { ...TARGET, config: { ...CONFIG, apiVersion: 'v1beta1' } },
      { weight: 5, headerRoute: null }
    );
    assert.deepEqual(applied, { weight: 5, headerRoute: null });
    assert.equal(server.requests.at(-1)!.path, oldPath);
  });
});
