import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';

import { pino } from 'pino';

import { ANNOTATION_LEASE_KEY, retryDelay, startAnnotationWriter } from '../../../backend/src/grafana/annotations.ts';
import type { AnnotationWriter, AnnotationWriterOptions } from '../../../backend/src/grafana/annotations.ts';
import { decisionTag, rolloutTag } from '../../../backend/src/grafana/content.ts';
import type { Bus } from '../../../backend/src/bus/types.ts';
import { startFakeGrafana } from '../../fixtures/grafana-annotations.ts';
import type { FakeGrafana, StoredAnnotation } from '../../fixtures/grafana-annotations.ts';
import { T0, aDecision, aRollout, enqueueRollout, memoryOutbox } from './outbox-fakes.ts';
import type { MemoryOutbox } from './outbox-fakes.ts';

const TOKEN = 'glsa_test_token';
const logger = pino({ level: 'silent' });

let grafana: FakeGrafana;
let outbox: MemoryOutbox;
const writers: AnnotationWriter[] = [];

beforeEach(async () => {
  grafana = await startFakeGrafana({ token: TOKEN });
  outbox = memoryOutbox();
});

afterEach(async () => {
  await Promise.all(writers.splice(0).map((w) => w.stop()));
  await grafana.close();
});

/** A writer that only delivers when flushed (its timer's interval is far beyond any test). */
function writer(overrides: Partial<AnnotationWriterOptions> = {}): AnnotationWriter {
  const started = startAnnotationWriter({
    store: outbox,
    grafanaUrl: grafana.url,
    token: TOKEN,
    orgId: 3,
    logger,
    intervalMs: 3_600_000,
    timeoutMs: 250,
    ...overrides,
  });
  writers.push(started);
  return started;
}

const withTag = (tag: string) => grafana.annotations.filter((a) => a.tags.includes(tag));
const decisionAnnotations = () => grafana.annotations.filter((a) => a.tags.some((t) => t.startsWith('decision:')));

function assertEachDeliveredOnce(decisions: { seq: number; kind: string; at: number }[], rolloutId = 'r-1'): void {
  assert.equal(withTag(rolloutTag(rolloutId)).length, 1, 'one region for the rollout');
  for (const d of decisions) {
    assert.equal(withTag(decisionTag(rolloutId, d.seq)).length, 1, `decision ${d.seq} annotated once`);
  }
  const kinds = decisionAnnotations().map((a: StoredAnnotation) => a.tags.find((t) => t.startsWith('decision:')));
  assert.deepEqual(
    kinds,
    decisions.map((d) => `decision:${d.kind}`),
    'decisions created in their order'
  );
  assert.ok(
    outbox.items.every((i) => i.deliveredAt !== null),
    'every item marked delivered'
  );
}

describe('annotation writer', () => {
  it('delivers a whole rollout in order: a region spanning it and one annotation per decision, no holds', async () => {
    const { rollout, decisions } = enqueueRollout(outbox);

    const result = await writer().flush();

    assert.deepEqual(result, { delivered: 6, dropped: 0, failed: null });
    assert.deepEqual(
      decisions.map((d) => d.kind),
      ['advance', 'pause', 'resume', 'advance', 'complete']
    );
    assertEachDeliveredOnce(decisions);

    const [region] = withTag(rolloutTag('r-1'));
    assert.equal(region!.time, T0);
    assert.equal(region!.timeEnd, rollout.endedAt);
    assert.deepEqual(region!.tags, ['sentra', 'service:demo', 'sentra-rollout:r-1']);
    assert.match(region!.text, /^Sentra rollout of demo: v1 → v2 \(policy standard\), completed after 1m 0s$/);

    const first = decisionAnnotations()[0]!;
    assert.deepEqual(first.tags, ['sentra', 'service:demo', 'decision:advance', 'sentra-decision:r-1/1']);
    assert.equal(first.time, decisions[0]!.at);
    assert.equal(first.timeEnd, decisions[0]!.at, 'a decision is a point in time');
    assert.match(first.text, /5% → 15%/);
    assert.match(
      first.text,
      /error-rate pass: observed 0\.0012 vs baseline 0\.001, threshold 0\.01, 1200 canary \/ 11000 baseline/
    );
  });

  it('sends the service account token and the organization on every request', async () => {
    enqueueRollout(outbox);
    await writer().flush();

    assert.ok(grafana.requests.length > 0);
    for (const request of grafana.requests) {
      assert.equal(request.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(request.headers['x-grafana-org-id'], '3');
    }
  });

  it('moves the region end forward with each decision while the rollout is live', async () => {
    add('started', aRollout());
    const live = aRollout({ stepIndex: 1, weight: 15 });
    add('decision', live, aDecision({ seq: 1, at: T0 + 30_000 }));
    const w = writer();

    await w.flush();
    const [region] = withTag(rolloutTag('r-1'));
    assert.equal(region!.timeEnd, T0 + 30_000);
    assert.match(region!.text, /progressing, step 2 of 3 at 15%/);

    add(
      'decision',
      { ...live, phase: 'rolled_back', weight: 0, endedAt: T0 + 45_000 },
      aDecision({ seq: 2, kind: 'rollback', at: T0 + 45_000 })
    );
    await w.flush();
    assert.equal(region!.timeEnd, T0 + 45_000);
    assert.match(region!.text, /rolled back after 45s/);
  });

  const outages: { name: string; down: () => Promise<void> | void }[] = [
    { name: 'refuses connections', down: () => grafana.down() },
    { name: 'answers HTTP 500', down: () => grafana.setMode({ kind: 'error', status: 500 }) },
    { name: 'answers slower than the timeout', down: () => grafana.setMode({ kind: 'slow', delayMs: 2000 }) },
    {
      name: 'saves annotations but answers them slower than the timeout',
      down: () => grafana.setMode({ kind: 'slow', delayMs: 2000, method: 'POST' }),
    },
  ];

  for (const outage of outages) {
    it(`delivers every decision exactly once after Grafana ${outage.name} for a whole rollout`, async () => {
      const { decisions } = enqueueRollout(outbox);
      await outage.down();
      const w = writer();

      for (let pass = 0; pass < 3; pass += 1) {
        const result = await w.flush();
        assert.notEqual(result.failed, null, `pass ${pass + 1} reports the outage`);
      }
      const failedItems = outbox.items.filter((i) => i.attempts > 0);
      assert.ok(failedItems.length > 0, 'failed attempts are recorded');
      assert.ok(
        failedItems.every((i) => i.lastError !== null),
        'each with its error'
      );
      assert.ok(
        outbox.items.some((i) => i.deliveredAt === null),
        'the outage held delivery back'
      );

      grafana.setMode({ kind: 'up' });
      await grafana.up();
      const result = await w.flush();

      assert.equal(result.failed, null);
      assertEachDeliveredOnce(decisions);
    });
  }

  it('never sends an item before the one ahead of it is delivered', async () => {
    enqueueRollout(outbox);
    grafana.setMode({ kind: 'error', status: 500 });
    const w = writer();

    await w.flush();
    await w.flush();

    const touched = new Set(grafana.requests.map((r) => r.query.getAll('tags').join(',')));
    assert.deepEqual([...touched], [rolloutTag('r-1')], 'only the first item was tried');
    assert.equal(outbox.items[0]!.attempts, 2);
    assert.match(outbox.items[0]!.lastError!, /HTTP 500: Internal Server Error/);
    assert.ok(outbox.items.slice(1).every((i) => i.attempts === 0));
  });

  it('does not duplicate an annotation when the process dies between sending it and marking it delivered', async () => {
    const { decisions } = enqueueRollout(outbox);
    let deaths = 0;
    const dying = {
      ...outbox,
      async markDelivered(id: number, at: number) {
        // The third item's annotation is in Grafana; the process dies before the store hears of it.
        if (id === 3 && deaths === 0) {
          deaths += 1;
          throw new Error('process died');
        }
        return outbox.markDelivered(id, at);
      },
    };
    const first = writer({ store: dying });
    const crashed = await first.flush();
    assert.match(crashed.failed!, /process died/);
    await first.stop();
    assert.equal(withTag(decisionTag('r-1', 3)).length, 1, 'the annotation reached Grafana');
    assert.equal(outbox.items[2]!.deliveredAt, null, 'but was not marked delivered');

    const restarted = writer();
    const result = await restarted.flush();

    assert.equal(result.failed, null);
    assertEachDeliveredOnce(decisions);
    const posts = grafana.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, decisions.length + 1, 'one POST per decision and one for the region');
  });

  it('drops a malformed item with its reason recorded, and delivers the items behind it', async () => {
    outbox.add({ event: 'decision', rollout: aRollout({ service: 'has:colon' }), decision: aDecision() });
    outbox.add({ event: 'started' });
    add('started', aRollout({ id: 'r-2' }));

    const result = await writer().flush();

    assert.deepEqual(result, { delivered: 1, dropped: 2, failed: null });
    assert.match(outbox.items[0]!.lastError!, /^dropped: malformed annotation payload: \/rollout\/service /);
    assert.match(outbox.items[1]!.lastError!, /^dropped: malformed annotation payload: \/rollout /);
    assert.equal(withTag(rolloutTag('r-2')).length, 1);
  });

  it('drops an item Grafana refuses as bad input (400) instead of holding back the rest', async () => {
    add('started', aRollout({ id: 'r-1' }));
    grafana.setMode({ kind: 'error', status: 400, message: 'Failed to save annotation' });
    const w = writer();

    const refused = await w.flush();
    grafana.setMode({ kind: 'up' });
    add('started', aRollout({ id: 'r-2' }));
    const next = await w.flush();

    assert.deepEqual(refused, { delivered: 0, dropped: 1, failed: null });
    assert.match(outbox.items[0]!.lastError!, /^dropped: .*HTTP 400: Failed to save annotation/);
    assert.deepEqual(next, { delivered: 1, dropped: 0, failed: null });
  });

  it('keeps retrying an item while Grafana rejects the token, without dropping it', async () => {
    add('started', aRollout());
    const w = writer({ token: 'wrong' });

    const result = await w.flush();

    assert.match(result.failed!, /HTTP 401/);
    assert.equal(outbox.items[0]!.attempts, 1);
    assert.equal(outbox.items[0]!.deliveredAt, null);
  });

  it('creates the region again when it was deleted in Grafana before the next decision', async () => {
    add('started', aRollout());
    const w = writer();
    await w.flush();
    grafana.annotations.splice(0);

    add('decision', aRollout({ stepIndex: 1, weight: 15 }), aDecision({ seq: 1, at: T0 + 20_000 }));
    await w.flush();

    const [region] = withTag(rolloutTag('r-1'));
    assert.equal(region!.time, T0);
    assert.equal(region!.timeEnd, T0 + 20_000);
  });

  it('delivers on its own timer and retries after an outage without being flushed', async () => {
    enqueueRollout(outbox);
    await grafana.down();
    writer({ intervalMs: 20, maxBackoffMs: 40 });

    await until(() => outbox.items[0]!.attempts >= 2);
    await grafana.up();
    await until(() => outbox.items.every((i) => i.deliveredAt !== null));

    assert.equal(withTag(rolloutTag('r-1')).length, 1);
  });

  it('stops without waiting for a slow Grafana and without recording its own stop as a failed attempt', async () => {
    add('started', aRollout());
    grafana.setMode({ kind: 'slow', delayMs: 60_000 });
    const w = writer({ timeoutMs: 30_000 });
    const pending = w.flush();

    await until(() => grafana.requests.length > 0);
    await w.stop();

    assert.equal((await pending).failed, 'writer stopped');
    assert.equal(outbox.items[0]!.attempts, 0);
    assert.deepEqual(await w.flush(), { delivered: 0, dropped: 0, failed: 'writer stopped' });
  });

  it('delivers from one replica at a time when given a lease', async () => {
    enqueueRollout(outbox);
    const bus = memoryLeases();
    const a = writer({ lease: { bus, owner: 'a' } });
    const b = writer({ lease: { bus, owner: 'b' } });

    await a.flush();
    add('started', aRollout({ id: 'r-2' }));
    const blocked = await b.flush();
    assert.deepEqual(blocked, { delivered: 0, dropped: 0, failed: 'another replica holds the annotation lease' });

    await a.stop();
    const takeover = await b.flush();
    assert.deepEqual(takeover, { delivered: 1, dropped: 0, failed: null });
    assert.equal(bus.holder(), 'b');
  });
});

describe('retry delay', () => {
  it('doubles with each failed pass and stops at the cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 50].map((n) => retryDelay(n, 1000, 10_000)),
      [1000, 2000, 4000, 8000, 10_000, 10_000]
    );
  });

  it('never waits less than the interval, even with a cap below it', () => {
    assert.equal(retryDelay(0, 1000, 60_000), 1000);
    assert.equal(retryDelay(3, 1000, 500), 500);
  });
});

function add(event: 'started', rollout: ReturnType<typeof aRollout>): void;
function add(event: 'decision', rollout: ReturnType<typeof aRollout>, decision: ReturnType<typeof aDecision>): void;
function add(
  event: 'started' | 'decision',
  rollout: ReturnType<typeof aRollout>,
  decision?: ReturnType<typeof aDecision>
): void {
  outbox.add(event === 'started' ? { event, rollout } : { event, rollout, decision });
}

function memoryLeases(): Pick<Bus, 'acquireLease' | 'releaseLease'> & { holder(): string | null } {
  let owner: string | null = null;
  return {
    async acquireLease(key, who) {
      assert.equal(key, ANNOTATION_LEASE_KEY);
      if (owner === null || owner === who) owner = who;
      return owner === who;
    },
    async releaseLease(_key, who) {
      if (owner === who) owner = null;
    },
    holder: () => owner,
  };
}

/** Waits for a condition the writer's own timer brings about; fails the test after 5 s. */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5000) assert.fail('condition not reached within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
