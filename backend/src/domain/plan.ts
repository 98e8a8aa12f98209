import { parseDuration } from './duration.ts';
import type { GateResult, GateState } from './gates/result.ts';
import { resolveLimits } from './policy.ts';
import { carryOver } from './stats/sequential.ts';
import { freshGateStates, routingFor } from './rollout.ts';
import type { Decision, Rollout } from './rollout.ts';
import type { Action, DecisionKind } from './vocabulary.ts';
import { isTerminal } from './vocabulary.ts';

export const CONTROLLER_ACTOR = 'sentra';

/** How many times its maxDuration a step may hold a canary whose evidence leans bad before pausing. */
export const DOUBT_GRACE = 3;

export interface Planned {
  next: Rollout;
  decision: Decision;
}

/**
 * Decides one tick of a progressing rollout from its gates' verdicts. Pure:
 * the caller has already fetched and judged; it stores the decision, then
 * moves traffic.
 *
 * Order matters: a failing gate rolls back even while other gates have no
 * data or the step's minimum time has not passed; a telemetry outage or
 * missing data only ever holds or pauses, never advances.
 */
export function planTick(
  rollout: Rollout,
  results: GateResult[],
  gateState: Record<string, GateState>,
  now: number
): Planned {
  const limits = resolveLimits(rollout.policy.limits);
  const base: Rollout = { ...rollout, gateState, tickSeq: rollout.tickSeq + 1 };
  const decide = (kind: DecisionKind, next: Rollout, reason: string) =>
    decision(rollout, next, kind, CONTROLLER_ACTOR, reason, results, now);

  const failing = results.filter((r) => r.verdict === 'fail');
  if (failing.length > 0) return decide('rollback', end(base, 'rolled_back', now), summarize(failing));

  const errors = results.filter((r) => r.verdict === 'error');
  const noData = results.filter((r) => r.verdict === 'inconclusive' && r.inconclusive === 'no-data');
  const streaks = {
    errorStreak: errors.length > 0 ? rollout.errorStreak + 1 : 0,
    noDataStreak: noData.length > 0 ? rollout.noDataStreak + 1 : 0,
  };
  const held = { ...base, ...streaks };

  if (errors.length > 0 && streaks.errorStreak >= limits.errorTicks) {
    return decide(
      'pause',
      pause(held, `telemetry failed for ${streaks.errorStreak} ticks in a row: ${summarize(errors)}`),
      summarize(errors)
    );
  }
  if (noData.length > 0 && streaks.noDataStreak >= limits.noDataTicks) {
    return decide(
      'pause',
      pause(held, `no data for ${streaks.noDataStreak} ticks in a row: ${summarize(noData)}`),
      summarize(noData)
    );
  }
  if (errors.length > 0 || noData.length > 0) {
    const tally =
      errors.length > 0
        ? `${streaks.errorStreak} of ${limits.errorTicks}`
        : `${streaks.noDataStreak} of ${limits.noDataTicks}`;
    return decide('hold', held, `holding (${tally} ticks before pausing): ${summarize([...errors, ...noData])}`);
  }
  return planHealthy(held, results, now, decide);
}

/**
 * Pauses a progressing rollout for a reason found outside its gates, such as a
 * traffic controller that cannot apply or confirm the stored weight.
 */
export function planPause(rollout: Rollout, reason: string, now: number): Planned {
  const next = pause({ ...rollout, tickSeq: rollout.tickSeq + 1 }, reason);
  return decision(rollout, next, 'pause', CONTROLLER_ACTOR, reason, [], now);
}

type Decide = (kind: DecisionKind, next: Rollout, reason: string) => Planned;

function planHealthy(rollout: Rollout, results: GateResult[], now: number, decide: Decide): Planned {
  const step = rollout.policy.steps[rollout.stepIndex]!;
  const elapsed = now - rollout.stepStartedAt;
  const minMs = parseDuration(step.minDuration);
  const maxMs = step.maxDuration === undefined ? undefined : parseDuration(step.maxDuration);
  const pending = results.filter((r) => r.verdict === 'inconclusive');
  const where = `step ${rollout.stepIndex + 1} at ${rollout.desired.weight}% for ${seconds(elapsed)}`;

  if (pending.length > 0) {
    // A sequential test whose evidence leans toward a fault is close to deciding: it is
    // given up to DOUBT_GRACE × maxDuration to roll back (or clear the canary) before
    // the rollout is handed to an operator.
    const doubting = pending.every((r) => r.inconclusive === 'unconfirmed' && r.evidence !== null);
    const limit = maxMs === undefined ? undefined : doubting ? maxMs * DOUBT_GRACE : maxMs;
    if (limit !== undefined && elapsed >= limit) {
      return decide(
        'pause',
        pause(rollout, `${where}: max duration reached without enough evidence`),
        summarize(pending)
      );
    }
    return decide('hold', rollout, `${where}: ${summarize(pending)}`);
  }
  if (elapsed < minMs) return decide('hold', rollout, `${where}: all gates pass, holding until ${step.minDuration}`);

  const conclusive = results.every((r) => r.evidence === null || r.evidence.accepted);
  if (maxMs !== undefined && !conclusive && elapsed < maxMs) {
    return decide('hold', rollout, `${where}: all gates pass, waiting for conclusive evidence or ${step.maxDuration}`);
  }
  if (step.pause) {
    const next = {
      ...pause(rollout, `${where}: all gates pass; this step waits for an operator to resume`),
      awaitingResume: true,
    };
    return decide('pause', next, `${where}: all gates pass; waiting for an operator`);
  }
  const next = advance(rollout, now);
  const kind = next.phase === 'completed' ? 'complete' : 'advance';
  return decide(kind, next, `${where}: all gates pass: ${summarize(results)}`);
}

export type ActionResult = { ok: true; planned: Planned } | { ok: false; reason: string };

/**
 * An operator's action. Rollback and abort are allowed from any live phase
 * and beat any pending pause or timer; the rest only where they make sense.
 */
export function applyAction(rollout: Rollout, action: Action, actor: string, now: number, note?: string): ActionResult {
  if (isTerminal(rollout.phase)) {
    return { ok: false, reason: `rollout is already ${rollout.phase.replace('_', ' ')}; ${action} changes nothing` };
  }
  const why = (text: string) => (note ? `${text}: ${note}` : text);
  const act = (kind: DecisionKind, next: Rollout, reason: string): ActionResult => ({
    ok: true,
    planned: decision(rollout, next, kind, actor, why(reason), [], now),
  });
  const stamped = { ...rollout, tickSeq: rollout.tickSeq + 1 };

  switch (action) {
    case 'rollback':
      return act('rollback', end(stamped, 'rolled_back', now), `rolled back by ${actor}`);
    case 'abort':
      return act('abort', end(stamped, 'aborted', now), `aborted by ${actor}`);
    case 'promote': {
      const next = advance(stamped, now);
      return act(next.phase === 'completed' ? 'complete' : 'advance', next, `promoted one step by ${actor}`);
    }
    case 'pause':
      if (rollout.phase === 'paused') return { ok: false, reason: 'rollout is already paused' };
      return act('pause', pause(stamped, `paused by ${actor}`), `paused by ${actor}`);
    case 'resume':
      if (rollout.phase !== 'paused') return { ok: false, reason: `rollout is ${rollout.phase}, not paused` };
      return act('resume', resume(stamped, now), `resumed by ${actor}`);
  }
}

/** The next step, or completion after the last one. The new step starts its clock and evidence afresh. */
function advance(rollout: Rollout, now: number): Rollout {
  if (rollout.stepIndex + 1 >= rollout.policy.steps.length) return end(rollout, 'completed', now);
  return restartStep({ ...rollout, stepIndex: rollout.stepIndex + 1, phase: 'progressing' }, now, true);
}

function resume(rollout: Rollout, now: number): Rollout {
  if (rollout.awaitingResume) return advance({ ...rollout, awaitingResume: false, pauseReason: null }, now);
  return restartStep({ ...rollout, phase: 'progressing' }, now, false);
}

/**
 * Counters keep their cursors (no sample is counted twice); the step's totals
 * start at zero. Sequential gates fold the step's evidence into what they
 * carry, so their false-rollback bound holds for the whole rollout, and a new
 * step starts a fresh copy of their test for faults that only show at a
 * higher weight. A `new-errors` gate keeps its templates: what the baseline
 * wrote in an earlier step still makes a canary template not new.
 */
function restartStep(rollout: Rollout, now: number, newStep: boolean): Rollout {
  const gateState = Object.fromEntries(
    Object.entries(freshGateStates(rollout.policy)).map(([name, fresh]) => {
      const old = rollout.gateState[name];
      if (!old) return [name, fresh];
      const sequential = old.sequential ? carryOver(old.sequential, newStep) : null;
      const kept = { ...fresh, cursor: old.cursor, windowEnd: old.windowEnd, last: old.last, sequential };
      return [name, old.templates ? { ...kept, templates: old.templates } : kept];
    })
  );
  const next = {
    ...rollout,
    stepStartedAt: now,
    gateState,
    noDataStreak: 0,
    errorStreak: 0,
    pauseReason: null,
    awaitingResume: false,
  };
  return { ...next, desired: routingFor(next) };
}

function pause(rollout: Rollout, reason: string): Rollout {
  return { ...rollout, phase: 'paused', pauseReason: reason };
}

function end(rollout: Rollout, phase: 'completed' | 'rolled_back' | 'aborted', now: number): Rollout {
  const next = { ...rollout, phase, endedAt: now, pauseReason: null, awaitingResume: false };
  return { ...next, desired: routingFor(next) };
}

function decision(
  before: Rollout,
  next: Rollout,
  kind: DecisionKind,
  actor: string,
  reason: string,
  verdicts: GateResult[],
  now: number
): Planned {
  return {
    next,
    decision: {
      rolloutId: before.id,
      seq: next.tickSeq,
      at: now,
      kind,
      actor,
      stepIndex: before.stepIndex,
      fromWeight: before.desired.weight,
      toWeight: next.desired.weight,
      reason,
      verdicts,
    },
  };
}

/** Gate reasons side by side: `error-rate: …; latency: …`. */
export function summarize(results: GateResult[]): string {
  return results.map((r) => `${r.gate} ${r.verdict}: ${r.reason}`).join('; ');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
