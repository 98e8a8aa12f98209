import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { after, beforeEach, describe, test } from 'node:test';

import type { RoutingState } from '../../../backend/src/domain/rollout.ts';
import type { WebhookTraffic } from '../../../backend/src/domain/traffic-config.ts';
import { SIGNATURE_HEADER, WebhookController } from '../../../backend/src/traffic/webhook.ts';
import type { TrafficTarget } from '../../../backend/src/traffic/types.ts';
import { TrafficError } from '../../../backend/src/traffic/types.ts';

const SECRET = 'test-secret-of-this-run';
const ENV = { SENTRA_WEBHOOK_SECRET: SECRET };

type Behaviour = (body: Record<string, any>, res: http.ServerResponse) => void;

/** A receiver as an operator would write one: checks the signature, keeps the state, answers it. */
async function startReceiver() {
  const receiver = {
    url: '',
    state: null as RoutingState | null,
    bodies: [] as Array<Record<string, any>>,
    behaviour: null as Behaviour | null,
    server: null as unknown as http.Server,
  };
  receiver.server = http.createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`);
    const given = Buffer.from(String(req.headers[SIGNATURE_HEADER] ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.writeHead(401, { 'content-type': 'text/plain' });
      return res.end('bad signature');
    }
    const body = JSON.parse(raw);
    receiver.bodies.push(body);
    if (receiver.behaviour) return receiver.behaviour(body, res);
    if (body.action === 'apply') receiver.state = body.desired;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(receiver.state));
  });
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as net.AddressInfo).port}/traffic`;
  return receiver;
}

describe('webhook controller against a local receiver', async () => {
  const receiver = await startReceiver();
  after(() => {
    receiver.server.closeAllConnections();
    receiver.server.close();
  });
  beforeEach(() => {
    receiver.state = null;
    receiver.bodies.length = 0;
    receiver.behaviour = null;
  });
  const config = (extra: Partial<WebhookTraffic> = {}): WebhookTraffic => ({
    controller: 'webhook',
    url: receiver.url,
    secretEnv: 'SENTRA_WEBHOOK_SECRET',
    timeout: '300ms',
    ...extra,
  });
  const target = (extra: Partial<WebhookTraffic> = {}): TrafficTarget => ({
    service: 'checkout',
    baseline: 'v1',
    canary: 'v2',
    config: config(extra),
  });
  const answerWith =
    (status: number, text: string): Behaviour =>
    (_body, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };

  test('posts the whole desired state, signed, and returns the state the receiver answers', async () => {
    const controller = new WebhookController({ env: ENV });
    const desired = { weight: 20, headerRoute: { header: 'x-canary', value: '1' } };
    assert.deepEqual(await controller.apply(target(), desired), desired);
    const [body] = receiver.bodies;
    assert.equal(body!.action, 'apply');
    assert.deepEqual(body!.desired, desired);
    assert.deepEqual([body!.service, body!.baseline, body!.canary], ['checkout', 'v1', 'v2']);
    assert.equal(typeof body!.sentAt, 'number');
    assert.deepEqual(await controller.read(target()), desired);
  });

  test('reports the weight the receiver says it achieved, not the one asked for', async () => {
    receiver.behaviour = answerWith(200, JSON.stringify({ weight: 12.5, headerRoute: null }));
    assert.deepEqual(await new WebhookController({ env: ENV }).apply(target(), { weight: 13, headerRoute: null }), {
      weight: 12.5,
      headerRoute: null,
    });
  });

  test('a read before anything is set up is null', async () => {
    assert.equal(await new WebhookController({ env: ENV }).read(target()), null);
  });

  test('a wrong secret is refused by the receiver and comes back as a traffic error with its words', async () => {
    const controller = new WebhookController({ env: { SENTRA_WEBHOOK_SECRET: 'not-the-secret' } });
    await assert.rejects(controller.apply(target(), { weight: 5, headerRoute: null }), (error: unknown) => {
      assert.ok(error instanceof TrafficError);
      assert.match(error.message, /answered HTTP 401: bad signature/);
      return true;
    });
  });

  test('a missing secret is a traffic error naming the variable, and nothing is sent', async () => {
    await assert.rejects(
      new WebhookController({ env: {} }).apply(target(), { weight: 5, headerRoute: null }),
      /SENTRA_WEBHOOK_SECRET is not set/
    );
    assert.equal(receiver.bodies.length, 0);
  });

  test('a non-2xx answer is a traffic error carrying the body text', async () => {
    receiver.behaviour = answerWith(503, 'proxy reload in progress');
    await assert.rejects(
      new WebhookController({ env: ENV }).apply(target(), { weight: 5, headerRoute: null }),
      /HTTP 503: proxy reload in progress/
    );
  });

  test('a receiver that does not answer in time is a traffic error saying so', async () => {
    receiver.behaviour = () => {};
    await assert.rejects(
      new WebhookController({ env: ENV }).apply(target(), { weight: 5, headerRoute: null }),
      /no answer within 300 ms/
    );
  });

  test('malformed answers are errors naming what is wrong', async () => {
    const controller = new WebhookController({ env: ENV });
    const cases: Array<[string, RegExp]> = [
      ['not json', /not JSON: not json/],
      ['{"weight":"50","headerRoute":null}', /\/weight must be number/],
      ['{"weight":150,"headerRoute":null}', /\/weight must be <= 100/],
      ['{"weight":50}', /\/headerRoute is required/],
      ['{"weight":50,"headerRoute":{"header":"x-canary"}}', /\/headerRoute\/value is required/],
      ['null', /malformed state/],
    ];
    for (const [text, expected] of cases) {
      receiver.behaviour = answerWith(200, text);
      await assert.rejects(controller.apply(target(), { weight: 50, headerRoute: null }), expected, text);
    }
  });

  test('a desired weight outside 0 to 100 is refused before anything is sent', async () => {
    await assert.rejects(
      new WebhookController({ env: ENV }).apply(target(), { weight: Number.NaN, headerRoute: null }),
      /from 0 to 100/
    );
    assert.equal(receiver.bodies.length, 0);
  });
});
