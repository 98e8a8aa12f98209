import type { Decision, Rollout } from '../domain/rollout.ts';
import { resolveLimits } from '../domain/policy.ts';
import { toSummary } from '../domain/summary.ts';
import { narrateDecision } from '../demo/narrate.ts';
import type { Replay, ReplayRequest } from './engine.ts';
import { PAST_TRAFFIC_NOTE } from './engine.ts';

/** What is replayed, over which range, and what a replay cannot do. */
export function replayHeader(request: ReplayRequest, source: string): string[] {
  const { policy } = request;
  const every = resolveLimits(policy.limits).tickIntervalMs / 1000;
  return [
    `Replaying policy ${policy.name} (${policy.steps.length} steps, ${policy.gates.length} gates, a tick every ${every}s) ` +
      `for ${request.service} ${request.baseline} → ${request.canary}`,
    `from ${iso(request.from)} to ${iso(request.to)}, reading ${source}.`,
    PAST_TRAFFIC_NOTE,
  ];
}

/** One tick in the demo's format, labelled with its time and its offset from the start of the range. */
export function tickLine(decision: Decision, rollout: Rollout, from: number): string {
  const label = `${iso(decision.at).slice(11)} +${offset(decision.at, from)}`;
  return narrateDecision(label, toSummary(rollout), decision);
}

/** The outcome, when it would have been decided, and the decisions counted by kind. */
export function replaySummary(result: Replay, request: ReplayRequest): string {
  const last = result.decisions.at(-1);
  const counts = new Map<string, number>();
  for (const d of result.decisions) counts.set(d.kind, (counts.get(d.kind) ?? 0) + 1);
  const tally = [...counts].map(([kind, n]) => `${kind} ${n}`).join(', ');
  const lines = ['Summary', `  ticks: ${result.decisions.length} (${tally || 'none'})`];

  if (result.decidedAt === null || !last) {
    const step = `step ${result.rollout.stepIndex + 1}/${request.policy.steps.length} at ${result.rollout.desired.weight}%`;
    lines.push(`  outcome: still progressing at ${iso(request.to)} (${step}): nothing ending was decided in the range`);
    return lines.join('\n');
  }
  const what = result.outcome.replace('_', ' ');
  const where = `step ${last.stepIndex + 1}/${request.policy.steps.length} at ${last.fromWeight}%`;
  lines.push(
    `  outcome: ${what}, decided at ${iso(result.decidedAt)} (+${offset(result.decidedAt, request.from)}), ${where}`
  );
  lines.push(`  reason: ${last.reason}`);
  return lines.join('\n');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function offset(at: number, from: number): string {
  return `${((at - from) / 1000).toFixed(1)}s`;
}
