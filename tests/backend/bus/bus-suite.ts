import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { Bus } from '../../../backend/src/bus/types.ts';
import type { StoredEvent } from '../../../backend/src/store/types.ts';
import { T0, uniqueName } from '../../support/builders.ts';

/** Buses that talk to each other, like replicas on one Redis. */
export interface BusWorld {
  /** A new bus, subscribed and ready. `onError` receives what the bus reports. */
  open(onError?: (error: unknown) => void): Promise<Bus>;
  /** Lets `ms` milliseconds pass for the leases (a fake clock, or real time). */
  advance(ms: number): Promise<void>;
  /** Closes every bus opened and removes what they left behind. */
  cleanup(): Promise<void>;
}

export function anEventToPublish(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    id: 1,
    at: T0,
    type: 'decision',
    rolloutId: 'r1',
    service: 'checkout',
    payload: { kind: 'advance', toWeight: 50, observed: Infinity },
    ...overrides,
  };
}

/** Collects delivered events and lets a test wait for the n-th without guessing how long it takes. */
function collector() {
  const events: StoredEvent[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const handler = (event: StoredEvent) => {
    events.push(event);
    for (const waiter of waiters.filter((w) => events.length >= w.count)) waiter.resolve();
  };
  const received = (count: number) =>
    new Promise<void>((resolve) => {
      if (events.length >= count) resolve();
      else waiters.push({ count, resolve });
    });
  return { events, handler, received };
}

export function busSuite(name: string, makeWorld: () => BusWorld): void {
  const it = (title: string, body: (world: BusWorld) => Promise<void>) =>
    test(title, async () => {
      const world = makeWorld();
      try {
        await body(world);
      } finally {
        await world.cleanup();
      }
    });

  describe(`${name} bus: events`, () => {
    it('delivers an event published on one bus to subscribers on another and on itself', async (world) => {
      const publisher = await world.open();
      const listener = await world.open();
      const there = collector();
      const here = collector();
      listener.subscribe(there.handler);
      publisher.subscribe(here.handler);
      const event = anEventToPublish();

      await publisher.publish(event);

      await Promise.all([there.received(1), here.received(1)]);
      assert.deepEqual(there.events, [event]);
      assert.deepEqual(here.events, [event]);
      assert.notEqual(there.events[0], event);
    });

    it('stops delivering to a handler once it is unsubscribed', async (world) => {
      const publisher = await world.open();
      const listener = await world.open();
      const gone = collector();
      const staying = collector();
      const unsubscribe = listener.subscribe(gone.handler);
      listener.subscribe(staying.handler);
      await publisher.publish(anEventToPublish({ id: 1 }));
      await Promise.all([gone.received(1), staying.received(1)]);

      unsubscribe();
      await publisher.publish(anEventToPublish({ id: 2 }));

      // Both handlers sat on the same bus: once the one left has the event, the other would have had it too.
      await staying.received(2);
      assert.deepEqual(
        gone.events.map((e) => e.id),
        [1]
      );
      assert.deepEqual(
        staying.events.map((e) => e.id),
        [1, 2]
      );
    });

    it('keeps delivering to the other handlers when one throws, and reports the error', async (world) => {
      const errors: unknown[] = [];
      const bus = await world.open((error) => errors.push(error));
      const fine = collector();
      bus.subscribe(() => {
        throw new Error('handler broke');
      });
      bus.subscribe(fine.handler);

      await bus.publish(anEventToPublish());

      await fine.received(1);
      assert.equal(errors.length, 1);
      assert.match(String(errors[0]), /handler broke/);
    });

    it('refuses to publish once closed', async (world) => {
      const bus = await world.open();
      await bus.close();

      await assert.rejects(bus.publish(anEventToPublish()), /closed/);
      await bus.close();
    });
  });

  describe(`${name} bus: leases`, () => {
    it('gives a lease to one owner at a time', async (world) => {
      const [a, b] = [await world.open(), await world.open()];
      const key = uniqueName('rollout');

      assert.equal(await a.acquireLease(key, 'replica-a', 10_000), true);
      assert.equal(await b.acquireLease(key, 'replica-b', 10_000), false);
      assert.equal(await b.acquireLease(uniqueName('rollout'), 'replica-b', 10_000), true);
    });

    it('renews a lease for the owner that holds it, pushing its expiry back', async (world) => {
      const [a, b] = [await world.open(), await world.open()];
      const key = uniqueName('rollout');
      await a.acquireLease(key, 'replica-a', 1500);
      await world.advance(900);

      assert.equal(await a.acquireLease(key, 'replica-a', 1500), true);
      await world.advance(900);

      // 1800 ms after the first grant: only the renewal keeps it held.
      assert.equal(await b.acquireLease(key, 'replica-b', 1500), false);
    });

    it('frees a lease once it expires', async (world) => {
      const [a, b] = [await world.open(), await world.open()];
      const key = uniqueName('rollout');
      await a.acquireLease(key, 'replica-a', 200);

      await world.advance(400);

      assert.equal(await b.acquireLease(key, 'replica-b', 10_000), true);
      assert.equal(await a.acquireLease(key, 'replica-a', 10_000), false);
    });

    it('releases a lease only for its owner', async (world) => {
      const [a, b] = [await world.open(), await world.open()];
      const key = uniqueName('rollout');
      await a.acquireLease(key, 'replica-a', 10_000);

      await b.releaseLease(key, 'replica-b');
      assert.equal(await b.acquireLease(key, 'replica-b', 10_000), false);

      await a.releaseLease(key, 'replica-a');
      assert.equal(await b.acquireLease(key, 'replica-b', 10_000), true);
    });

    it('refuses lease arguments that make no sense, naming the field', async (world) => {
      const bus = await world.open();

      await assert.rejects(bus.acquireLease('k', 'me', 0), /ttlMs/);
      await assert.rejects(bus.acquireLease('k', 'me', 1.5), /ttlMs/);
      await assert.rejects(bus.acquireLease('', 'me', 1000), /key/);
      await assert.rejects(bus.releaseLease('k', ''), /owner/);
    });
  });
}
