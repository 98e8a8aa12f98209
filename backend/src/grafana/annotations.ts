import Type from 'typebox';
import { Value } from 'typebox/value';
import type { Logger } from 'pino';

import type { Bus } from '../bus/types.ts';
import { schemaErrors } from '../domain/policy.ts';
import { isTerminal } from '../domain/vocabulary.ts';
import type { OutboxItem, Store } from '../store/types.ts';
import { GrafanaError, createAnnotationsClient } from './client.ts';
import type { AnnotationsClient } from './client.ts';
import {
  AnnotatedDecision,
  AnnotatedRollout,
  decisionTag,
  decisionTags,
  decisionText,
  regionTags,
  regionText,
  rolloutTag,
} from './content.ts';

/**
 * The Grafana annotation writer. The decision path writes an outbox item of
 * topic `grafana-annotation` in the same transaction as each decision; this
 * writer delivers those items to Grafana's annotations API on its own timer,
 * in order and once each:
 *
 * - `started` creates a region annotation spanning the rollout;
 * - `decision` adds a point annotation for the decision and moves the
 *   region's end up to it (to the rollout's end when the rollout is over).
 *
 * Once each, across crashes: an attempt may reach Grafana and the process die
 * (or the answer time out) before the item is marked delivered. So before
 * anything is created, Grafana is asked for the annotation by a tag only that
 * item's annotation carries, and the creation is skipped when it exists.
 * Updates to the region set absolute values, so repeating them is harmless.
 *
 * In order: an item is only tried once every item ahead of it is delivered; a
 * failure stops the pass and the next pass starts from that item again, after
 * a growing pause. Nothing waits on the writer: Grafana being down or slow only
 * delays annotations.
 */

/** The outbox topic the decision path writes annotation items under. */
export const ANNOTATION_TOPIC = 'grafana-annotation';

/**
 * An item's payload: `rollout` is the rollout's summary as it stands after
 * the event, `decision` the decision itself. Holds are not written (they come
 * every tick); one that is written is annotated like any other decision.
 */
const AnnotationPayload = Type.Union([
  Type.Object({ event: Type.Literal('started'), rollout: AnnotatedRollout }),
  Type.Object({ event: Type.Literal('decision'), rollout: AnnotatedRollout, decision: AnnotatedDecision }),
]);
export type AnnotationPayload = Type.Static<typeof AnnotationPayload>;

export type OutboxStore = Pick<Store, 'pendingOutbox' | 'markAttempt' | 'markDelivered'>;

export interface AnnotationWriterOptions {
  store: OutboxStore;
  grafanaUrl: string;
  /** A Grafana service account token allowed to create and edit organization annotations (role Editor). */
  token: string;
  orgId?: number;
  logger: Logger;
  /** Pause between passes when all is well. */
  intervalMs: number;
  /** Per-request timeout; 5 s when left out. */
  timeoutMs?: number;
  /** Longest pause after repeated failures; 60 s when left out. */
  maxBackoffMs?: number;
  /** Items read from the store at a time; 50 when left out. */
  batchSize?: number;
  /**
   * With several backend replicas, only the holder of this lease delivers,
   * so that two replicas never race on the same item.
   */
  lease?: { bus: Pick<Bus, 'acquireLease' | 'releaseLease'>; owner: string };
  now?: () => number;
}

export interface PassResult {
  delivered: number;
  /** Items that can never be delivered (a malformed payload, or Grafana refusing it as bad input). */
  dropped: number;
  /** Why the pass stopped early, or null when it reached the end of the outbox. */
  failed: string | null;
}

export interface AnnotationWriter {
  /** Runs a pass now, after any pass already running, ignoring the pause after failures. */
  flush(): Promise<PassResult>;
  /** Stops the timer, cuts off any request in flight and waits for the pass to end. */
  stop(): Promise<void>;
}

export const ANNOTATION_LEASE_KEY = 'annotation-writer';

export function startAnnotationWriter(options: AnnotationWriterOptions): AnnotationWriter {
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  const stopping = new AbortController();
  const client = createAnnotationsClient({
    url: options.grafanaUrl,
    token: options.token,
    orgId: options.orgId,
    timeoutMs,
  });
  const ctx: PassContext = {
    options,
    client,
    signal: stopping.signal,
    logger: options.logger.child({ component: 'annotation-writer' }),
    now: options.now ?? Date.now,
    batchSize: options.batchSize ?? 50,
    leaseTtlMs: Math.max(30_000, 3 * (options.intervalMs + 4 * timeoutMs)),
  };

  let chain: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;

  const runPass = (): Promise<PassResult> => {
    const pass = chain.then(() => deliverPending(ctx));
    chain = pass;
    return pass;
  };
  const schedule = (delayMs: number) => {
    if (stopping.signal.aborted) return;
    timer = setTimeout(async () => {
      timer = null;
      const result = await runPass();
      failures = result.failed === null ? 0 : failures + 1;
      schedule(failures === 0 ? options.intervalMs : retryDelay(failures, options.intervalMs, maxBackoffMs));
    }, delayMs);
    timer.unref();
  };

  schedule(options.intervalMs);
  return {
    flush: () =>
      stopping.signal.aborted ? Promise.resolve({ delivered: 0, dropped: 0, failed: 'writer stopped' }) : runPass(),
    async stop() {
      if (timer) clearTimeout(timer);
      stopping.abort();
      await chain;
      await options.lease?.bus.releaseLease(ANNOTATION_LEASE_KEY, options.lease.owner).catch(() => undefined);
    },
  };
}

/** The pause before the next pass after `failures` failed passes in a row: doubling, capped. */
export function retryDelay(failures: number, intervalMs: number, maxBackoffMs: number): number {
  const doubled = intervalMs * 2 ** Math.min(Math.max(failures - 1, 0), 20);
  return Math.min(Math.max(doubled, intervalMs), maxBackoffMs);
}

interface PassContext {
  options: AnnotationWriterOptions;
  client: AnnotationsClient;
  signal: AbortSignal;
  logger: Logger;
  now: () => number;
  batchSize: number;
  leaseTtlMs: number;
}

type Outcome = { kind: 'delivered' } | { kind: 'dropped'; reason: string } | { kind: 'failed'; reason: string };

/** Delivers items oldest first until the outbox is empty or one fails. Never throws. */
async function deliverPending(ctx: PassContext): Promise<PassResult> {
  const result: PassResult = { delivered: 0, dropped: 0, failed: null };
  try {
    for (;;) {
      const items = await ctx.options.store.pendingOutbox(ANNOTATION_TOPIC, ctx.batchSize);
      for (const item of items) {
        if (ctx.signal.aborted) return { ...result, failed: 'writer stopped' };
        if (!(await holdsLease(ctx))) return { ...result, failed: 'another replica holds the annotation lease' };
        const outcome = await deliverItem(ctx, item);
        if (outcome.kind === 'failed') return { ...result, failed: outcome.reason };
        if (outcome.kind === 'delivered') result.delivered += 1;
        else result.dropped += 1;
      }
      if (items.length < ctx.batchSize) return result;
    }
  } catch (error) {
    // The store or the lease is unavailable: nothing was lost, the items are still pending.
    const reason = `annotation pass failed: ${(error as Error).message}`;
    ctx.logger.warn({ error: reason }, 'annotation delivery failed');
    return { ...result, failed: reason };
  }
}

async function holdsLease(ctx: PassContext): Promise<boolean> {
  const lease = ctx.options.lease;
  if (!lease) return true;
  return lease.bus.acquireLease(ANNOTATION_LEASE_KEY, lease.owner, ctx.leaseTtlMs);
}

/** One item: delivered and marked so, dropped for good with its reason recorded, or failed for now. */
async function deliverItem(ctx: PassContext, item: OutboxItem): Promise<Outcome> {
  const { store } = ctx.options;
  const parsed = parsePayload(item.payload);
  if (!parsed.ok) return drop(ctx, item, parsed.reason);

  const fields = logFields(item, parsed.value);
  try {
    await send(ctx, parsed.value);
  } catch (error) {
    if (ctx.signal.aborted) return { kind: 'failed', reason: 'writer stopped' };
    // Grafana refused the annotation itself as bad input: sending it again
    // can only fail again, and it would hold back every item behind it.
    if (error instanceof GrafanaError && error.status === 400) return drop(ctx, item, error.message);
    const reason = (error as Error).message;
    await store.markAttempt(item.id, reason);
    ctx.logger.warn({ ...fields, attempts: item.attempts + 1, error: reason }, 'annotation delivery failed');
    return { kind: 'failed', reason };
  }

  await store.markDelivered(item.id, ctx.now());
  ctx.logger.info(fields, 'annotation delivered');
  return { kind: 'delivered' };
}

async function drop(ctx: PassContext, item: OutboxItem, reason: string): Promise<Outcome> {
  await ctx.options.store.markAttempt(item.id, `dropped: ${reason}`);
  await ctx.options.store.markDelivered(item.id, ctx.now());
  ctx.logger.error({ outboxId: item.id, error: reason }, 'annotation dropped');
  return { kind: 'dropped', reason };
}

type Parsed = { ok: true; value: AnnotationPayload } | { ok: false; reason: string };

export function parsePayload(payload: unknown): Parsed {
  if (Value.Check(AnnotationPayload, payload)) return { ok: true, value: payload as AnnotationPayload };
  const event = (payload as { event?: unknown } | null)?.event;
  const schema = event === 'started' ? AnnotationPayload.anyOf[0] : AnnotationPayload.anyOf[1];
  const first = schemaErrors(schema, payload, '')[0];
  const where = first ? `${first.field || '/'} ${first.message}` : 'event must be "started" or "decision"';
  return { ok: false, reason: `malformed annotation payload: ${where}` };
}

function logFields(item: OutboxItem, payload: AnnotationPayload): Record<string, unknown> {
  const decision = payload.event === 'decision' ? payload.decision.kind : 'started';
  return { outboxId: item.id, rollout: payload.rollout.id, service: payload.rollout.service, decision };
}

async function send(ctx: PassContext, payload: AnnotationPayload): Promise<void> {
  const { client, signal } = ctx;
  const { rollout } = payload;
  if (payload.event === 'decision') {
    const { decision } = payload;
    const existing = await client.findByTags([decisionTag(rollout.id, decision.seq)], decision.at, signal);
    if (existing.length === 0) {
      const annotation = {
        time: decision.at,
        text: decisionText(rollout, decision),
        tags: decisionTags(rollout, decision),
      };
      await client.create(annotation, signal);
    }
  }
  const regions = await ensureRegion(ctx, rollout);
  if (payload.event === 'started') return;

  const reached = isTerminal(rollout.phase) ? (rollout.endedAt ?? payload.decision.at) : payload.decision.at;
  const timeEnd = Math.max(reached, rollout.startedAt);
  for (const id of regions) await client.patch(id, { timeEnd, text: regionText(rollout) }, signal);
}

/**
 * The rollout's region annotation, found by its rollout tag or created. It is
 * created again when it has gone (deleted in Grafana, or its `started` item
 * was written before annotations were configured).
 */
async function ensureRegion(ctx: PassContext, rollout: AnnotatedRollout): Promise<number[]> {
  const found = await ctx.client.findByTags([rolloutTag(rollout.id)], rollout.startedAt, ctx.signal);
  if (found.length > 0) return found.map((annotation) => annotation.id);
  const region = {
    time: rollout.startedAt,
    timeEnd: rollout.startedAt,
    text: regionText(rollout),
    tags: regionTags(rollout),
  };
  return [await ctx.client.create(region, ctx.signal)];
}
