import { EventPoller } from './events';
import { FakeBackend } from '../test/fakeBackend';
import { aRollout, anEvent } from '../test/builders';

async function until(check: () => boolean) {
  for (let i = 0; i < 200 && !check(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(check()).toBe(true);
}

describe('EventPoller', () => {
  test('learns where the log ends, then hands every later event to each listener in order', async () => {
    const backend = new FakeBackend();
    backend.pushEvent(anEvent(aRollout({ weight: 5 })));
    const poller = new EventPoller();
    const seen: number[] = [];
    let syncs = 0;
    const stop = poller.subscribe({
      onEvent: (e) => seen.push(e.type === 'rollout.applied' ? -1 : e.payload.rollout.weight),
      onSync: () => syncs++,
    });
    await until(() => syncs === 1);

    backend.pushEvent(anEvent(aRollout({ weight: 15 })));
    backend.pushEvent(anEvent(aRollout({ weight: 30 })));
    await until(() => seen.length === 2);
    stop();

    expect(seen).toEqual([15, 30]);
    const first = backend.callsTo('GET', '/events')[0]!;
    expect(first.params).toEqual({ wait: 0 });
    expect(backend.callsTo('GET', '/events')[1]!.params).toMatchObject({ wait: 25 });
  });

  test('reports an outage, retries, and asks listeners to fetch again once it is over', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const backend = new FakeBackend();
      backend.eventsFailure = { status: 502, data: { message: 'Bad Gateway' } };
      const poller = new EventPoller();
      const states: string[] = [];
      let syncs = 0;
      const stop = poller.subscribe({ onStatus: (s) => states.push(s.state), onSync: () => syncs++ });
      await jest.advanceTimersByTimeAsync(10);
      expect(states).toContain('retrying');
      expect(syncs).toBe(0);

      backend.eventsFailure = null;
      await jest.advanceTimersByTimeAsync(1500);
      expect(states.at(-1)).toBe('live');
      expect(syncs).toBe(1);
      stop();
    } finally {
      jest.useRealTimers();
    }
  });

  test('stops polling when its last listener leaves', async () => {
    const backend = new FakeBackend();
    const poller = new EventPoller();
    let synced = false;
    const stop = poller.subscribe({ onSync: () => (synced = true) });
    await until(() => synced);
    stop();
    const calls = backend.callsTo('GET', '/events').length;

    backend.pushEvent(anEvent(aRollout()));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(backend.callsTo('GET', '/events').length).toBe(calls);
  });
});
