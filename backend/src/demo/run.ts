import WebSocket from 'ws';

import type { Decision } from '../domain/rollout.ts';
import type { RolloutSummary } from '../domain/summary.ts';
import type { StepRecord, StoredEvent } from '../store/types.ts';
import { narrateDecision } from './narrate.ts';
import type { DemoStack, DemoVersion } from './stack.ts';
import { DEMO_SERVICE } from './stack.ts';

export interface RolloutPlan {
  label: string;
  baseline: DemoVersion;
  canary: DemoVersion;
  policy: string;
}

export interface RolloutReport {
  label: string;
  id: string;
  baseline: string;
  canary: string;
  outcome: RolloutSummary['phase'];
  steps: { weight: number; seconds: number | null; outcome: string | null }[];
  /** Milliseconds from the canary's first request to the rollback decision, when rolled back. */
  toRollbackDecisionMs: number | null;
  /** Milliseconds from the canary's first request to the router or proxy confirming all traffic on the baseline. */
  toBaselineMs: number | null;
  /**
   * Canary requests in the second after all traffic was confirmed on the baseline: answered ones as the
   * router counts them, or, behind a real proxy, arrivals as the canary's own counter says.
   */
  canaryRequestsAfterRollback: number | null;
  totalMs: number;
  reason: string;
  /** Each gate's verdict on the last decision. */
  verdicts: { gate: string; verdict: string }[];
}

const TERMINAL = new Set(['completed', 'rolled_back', 'aborted']);
/** A rollout that has not ended by then is reported as stuck rather than waited on forever. */
const ROLLOUT_LIMIT_MS = 5 * 60_000;

/**
 * Runs one rollout through the API, as a CI/CD tool would: readies the
 * traffic (behind a real proxy, one in front of this pair), starts it, follows
 * its events on the WebSocket stream (narrating each tick through `say`), and
 * reports its outcome, step times and, for a rollback, how long the canary
 * served traffic.
 */
export async function runRollout(
  stack: DemoStack,
  plan: RolloutPlan,
  say: (line: string) => void
): Promise<RolloutReport> {
  const traffic = await stack.prepareRollout(plan.baseline, plan.canary);
  const firstRequest = watchFirstRequest(stack, plan.canary);
  const stream = await openStream(stack);
  try {
    const started = Date.now();
    const { rollout } = await stack.api.call<{ rollout: RolloutSummary }>('POST', '/api/v1/rollouts', {
      service: DEMO_SERVICE,
      baseline: plan.baseline,
      canary: plan.canary,
      policy: plan.policy,
      ...(traffic ? { traffic } : {}),
    });
    say(`[${plan.label}] started ${plan.baseline} → ${plan.canary} (rollout ${rollout.id})`);
    const ended = await follow(stream, rollout.id, plan.label, say);
    const firstAt = await firstRequest.result;
    return await report(stack, plan, rollout.id, ended, firstAt, started);
  } finally {
    firstRequest.stop();
    stream.close();
  }
}

interface Ended {
  summary: RolloutSummary;
  decision: Decision;
  baselineAt: number | null;
}

function follow(stream: Stream, id: string, label: string, say: (line: string) => void): Promise<Ended> {
  return new Promise((resolve, reject) => {
    let ending: { summary: RolloutSummary; decision: Decision } | null = null;
    const timer = setTimeout(
      () => reject(new Error(`${label} did not end within ${ROLLOUT_LIMIT_MS / 1000}s`)),
      ROLLOUT_LIMIT_MS
    );
    stream.onEvent((event) => {
      if (event.rolloutId !== id) return;
      const payload = event.payload as { rollout?: RolloutSummary; decision?: Decision; applied?: { weight: number } };
      if (event.type === 'rollout.decision' && payload.rollout && payload.decision) {
        say(narrateDecision(label, payload.rollout, payload.decision));
        if (TERMINAL.has(payload.rollout.phase)) ending = { summary: payload.rollout, decision: payload.decision };
      }
      const applied = event.type === 'rollout.applied' ? payload.applied : null;
      if (ending && (applied || ending.summary.phase === 'completed')) {
        clearTimeout(timer);
        const baselineAt = applied && applied.weight === 0 ? event.at : null;
        resolve({ ...ending, baselineAt });
      }
    });
    stream.onClose(() => reject(new Error('the event stream closed before the rollout ended')));
  });
}

async function report(
  stack: DemoStack,
  plan: RolloutPlan,
  id: string,
  ended: Ended,
  firstAt: number | null,
  started: number
): Promise<RolloutReport> {
  const detail = await stack.api.call<{ steps: StepRecord[] }>('GET', `/api/v1/rollouts/${id}`);
  const rolledBack = ended.summary.phase === 'rolled_back';
  const since = (at: number | null) => (rolledBack && firstAt !== null && at !== null ? at - firstAt : null);
  return {
    label: plan.label,
    id,
    baseline: plan.baseline,
    canary: plan.canary,
    outcome: ended.summary.phase,
    steps: detail.steps.map((s) => ({
      weight: s.weight,
      seconds: s.endedAt === null ? null : (s.endedAt - s.startedAt) / 1000,
      outcome: s.outcome,
    })),
    toRollbackDecisionMs: since(ended.decision.at),
    toBaselineMs: since(ended.baselineAt),
    canaryRequestsAfterRollback: rolledBack ? await canaryTrickle(stack, plan.canary) : null,
    totalMs: Date.now() - started,
    reason: ended.decision.reason,
    verdicts: ended.decision.verdicts.map((v) => ({ gate: v.gate, verdict: v.verdict })),
  };
}

/** How many requests the canary still gets in the second after traffic was put back on the baseline (should be 0). */
async function canaryTrickle(stack: DemoStack, canary: string): Promise<number> {
  // Requests the router or proxy had already sent on their way when the split changed still finish.
  await new Promise((r) => setTimeout(r, 250));
  const before = await canaryRequests(stack, canary);
  await new Promise((r) => setTimeout(r, 1000));
  return (await canaryRequests(stack, canary)) - before;
}

function canaryRequests(stack: DemoStack, version: string): Promise<number> {
  return stack.front.requests(version);
}

/** Polls the router's (or the canary's own) counters until the canary has its first request of this rollout. */
function watchFirstRequest(stack: DemoStack, canary: string): { result: Promise<number | null>; stop(): void } {
  let stopped = false;
  const result = (async () => {
    const start = await canaryRequests(stack, canary);
    while (!stopped) {
      if ((await canaryRequests(stack, canary)) > start) return Date.now();
      await new Promise((r) => setTimeout(r, 20));
    }
    return null;
  })();
  return { result, stop: () => void (stopped = true) };
}

interface Stream {
  onEvent(handler: (event: StoredEvent) => void): void;
  onClose(handler: () => void): void;
  close(): void;
}

async function openStream(stack: DemoStack): Promise<Stream> {
  const url = `${stack.backendUrl.replace(/^http/, 'ws')}/api/v1/stream`;
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${stack.token}` } });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let closing = false;
  return {
    onEvent: (handler) => socket.on('message', (data) => handler(JSON.parse(String(data)) as StoredEvent)),
    onClose: (handler) => socket.on('close', () => !closing && handler()),
    close: () => {
      closing = true;
      socket.close();
    },
  };
}
