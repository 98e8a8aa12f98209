import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';

import type { Bus } from '../bus/types.ts';
import type { Store, StoredEvent } from '../store/types.ts';
import type { ApiContext } from './context.ts';
import { errorResponses } from './errors.ts';
import { EventBody, finiteJson } from './schemas.ts';

const PAGE = 200;
/** Waiters also re-read the store this often, in case a notice from another replica was lost. */
const RECHECK_MS = 1000;

const EventsQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0 })),
    wait: Type.Optional(Type.Number({ minimum: 0, maximum: 30, default: 0 })),
  },
  { additionalProperties: false }
);

/**
 * Rollout events for clients that cannot hold a WebSocket (Grafana's plugin
 * proxy): a long-poll that answers as soon as there is anything newer than
 * `after`; and a WebSocket stream for those that can.
 */
export const eventRoutes: FastifyPluginAsyncTypebox<ApiContext> = async (app, { store, bus }) => {
  const notices = new Notices(bus);
  app.addHook('onClose', async () => notices.close());

  app.get(
    '/events',
    {
      schema: {
        querystring: EventsQuery,
        response: {
          200: Type.Object({ events: Type.Array(EventBody), lastId: Type.Integer() }),
          ...errorResponses('invalid_input'),
        },
      },
    },
    async (request) => {
      const { after, wait = 0 } = request.query;
      const last = await store.lastEventId();
      // No cursor, or one past the end (a store that was reset): the client starts again from the newest event.
      if (after === undefined || after > last) return { events: [], lastId: last };
      const deadline = Date.now() + wait * 1000;
      let closed = false;
      request.raw.once('close', () => (closed = true));
      for (;;) {
        const events = await store.listEvents(after, PAGE);
        if (events.length > 0 || Date.now() >= deadline || closed) return page(events, after);
        await notices.next(Math.min(RECHECK_MS, deadline - Date.now()));
      }
    }
  );

  app.get('/stream', { websocket: true, schema: { querystring: EventsQuery } }, async (socket, request) => {
    let cursor = request.query.after ?? (await store.lastEventId());
    let sending = false;
    const flush = async () => {
      if (sending) return;
      sending = true;
      try {
        for (
          let events = await store.listEvents(cursor, PAGE);
          events.length > 0;
          events = await store.listEvents(cursor, PAGE)
        ) {
          for (const event of events) socket.send(JSON.stringify(finiteJson(event)));
          cursor = events.at(-1)!.id;
        }
      } finally {
        sending = false;
      }
    };
    const unsubscribe = bus.subscribe(
      () => void flush().catch((err: unknown) => request.log.warn({ err }, 'stream not flushed'))
    );
    const recheck = setInterval(() => void flush().catch(() => undefined), RECHECK_MS * 5);
    socket.on('close', () => {
      unsubscribe();
      clearInterval(recheck);
    });
    await flush();
  });
};

function page(events: StoredEvent[], after: number) {
  return { events: finiteJson(events), lastId: events.at(-1)?.id ?? after };
}

/** One bus subscription shared by every waiting long-poll. */
class Notices {
  private readonly waiters = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(bus: Bus) {
    this.unsubscribe = bus.subscribe(() => {
      for (const wake of this.waiters) wake();
      this.waiters.clear();
    });
  }

  next(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      const waiters = this.waiters;
      function done() {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  }

  close(): void {
    this.unsubscribe();
    for (const wake of this.waiters) wake();
  }
}
