import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import pino from 'pino';

import { narrateDecision } from '../../backend/src/demo/narrate.ts';
import { demoPolicy } from '../../backend/src/demo/policy.ts';
import { runRollout } from '../../backend/src/demo/run.ts';
import type { DemoStack, DemoVersion } from '../../backend/src/demo/stack.ts';
import { DEMO_SERVICE, startDemoStack } from '../../backend/src/demo/stack.ts';
import type { GateResult } from '../../backend/src/domain/gates/result.ts';
import type { Decision } from '../../backend/src/domain/rollout.ts';
import type { RolloutSummary } from '../../backend/src/domain/summary.ts';
import type { ReplayTick } from '../../backend/src/replay/engine.ts';

const MAIN = new URL('../../backend/src/replay/main.ts', import.meta.url).pathname;
const policy = demoPolicy('prometheus');
/** The demo policy judges every second; a replay's rollback within a few ticks of the real one is "the same point". */
const TICK_MS = 1000;
const SAME_POINT_TICKS = 5;

interface ReplayAnswer {
  ticks: ReplayTick[];
  outcome: string;
  decidedAt: number | null;
  note: string;
}

/** The API's tick in the demo's narration, labelled with its offset from the start of the range. */
function narrate(tick: ReplayTick, from: number): string {
  const decision = { ...tick, kind: tick.decision, fromWeight: tick.weight } as unknown as Decision;
  const summary = { stepCount: policy.steps.length } as RolloutSummary;
  return narrateDecision(`replay +${((tick.at - from) / 1000).toFixed(1)}s`, summary, decision);
}

function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

interface LiveRollout {
  startedAt: number;
  /** The decision that ended it: rollback or complete. */
  ended: Decision;
}

/** Runs one of the demo's rollouts and reads back when it started and the decision that ended it. */
async function live(stack: DemoStack, baseline: DemoVersion, canary: DemoVersion): Promise<LiveRollout> {
  const report = await runRollout(stack, { label: canary, baseline, canary, policy: policy.name }, () => undefined);
  const detail = await stack.api.call<{ rollout: RolloutSummary; decisions: Decision[] }>(
    'GET',
    `/api/v1/rollouts/${report.id}`
  );
  const ended = detail.decisions.at(-1)!;
  const at = `+${((ended.at - detail.rollout.startedAt) / 1000).toFixed(3)}s`;
  console.log(
    `live ${baseline} → ${canary}: started ${new Date(detail.rollout.startedAt).toISOString()}, ${ended.kind} at ${at}`
  );
  console.log(`  ${ended.reason}`);
  return { startedAt: detail.rollout.startedAt, ended };
}

function replayBody(rollout: LiveRollout, baseline: string, canary: string) {
  return { policyName: policy.name, service: DEMO_SERVICE, baseline, canary, from: rollout.startedAt, to: 'now' };
}

/**
 * The demo's two rollouts, live on a real Prometheus (the healthy one first,
 * so the faulty one's baseline has served traffic before, as in `npm run
 * demo`), then each replayed over its own time range from the same Prometheus.
 *
 * Replayed ticks fall exactly every second from the start of the range; the
 * live loop's ticks drift by up to a scan period each. Near a step's minimum
 * duration that can move a decision to the next step, so decisions are
 * compared by time, within a few ticks.
 */
describe("replaying the demo's rollouts from the same real Prometheus", () => {
  let stack: DemoStack;
  let healthy: LiveRollout;
  let faulty: LiveRollout;
  let replayedAt: number | null = null;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sentra-replay-e2e-'));
    stack = await startDemoStack({ prometheus: 'required', logger: pino({ level: 'silent' }), say: () => undefined });
    await stack.api.call('POST', '/api/v1/policies', policy);
    healthy = await live(stack, 'v1', 'v2');
    faulty = await live(stack, 'v2', 'v3');
    assert.equal(healthy.ended.kind, 'complete');
    assert.equal(faulty.ended.kind, 'rollback');
    assert.equal(failedOn(faulty.ended.verdicts), true, 'the live rollback failed an error gate');
  });
  after(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('decides rollback on an error gate at about the same point as the live faulty rollout', async () => {
    const replay = await stack.api.call<ReplayAnswer>('POST', '/api/v1/replay', replayBody(faulty, 'v2', 'v3'));
    for (const tick of replay.ticks) console.log(narrate(tick, faulty.startedAt));
    console.log(replay.note);

    assert.equal(replay.outcome, 'rolled_back');
    const last = replay.ticks.at(-1)!;
    assert.equal(last.decision, 'rollback');
    assert.equal(replay.decidedAt, last.at);
    assert.equal(failedOn(last.verdicts), true, last.reason);
    const apart = Math.abs(last.at - faulty.ended.at);
    console.log(
      `replay: rollback on step ${last.stepIndex + 1} (live: step ${faulty.ended.stepIndex + 1}), ${apart} ms apart`
    );
    assert.ok(apart <= SAME_POINT_TICKS * TICK_MS, `replay decided ${apart} ms from the live rollback`);
    replayedAt = replay.decidedAt;

    const listed = await stack.api.call<{ rollouts: unknown[] }>('GET', '/api/v1/rollouts');
    assert.equal(listed.rollouts.length, 2, 'the replay stored no rollout of its own');
  });

  it('completes the healthy rollout at about the same point as it completed live', async () => {
    const replay = await stack.api.call<ReplayAnswer>('POST', '/api/v1/replay', replayBody(healthy, 'v1', 'v2'));
    const moves = replay.ticks.filter((t) => t.decision !== 'hold');
    for (const tick of moves) console.log(narrate(tick, healthy.startedAt));

    assert.equal(replay.outcome, 'completed');
    assert.deepEqual(
      moves.map((t) => `${t.weight}→${t.toWeight}`),
      ['5→15', '15→30', '30→50', '50→100']
    );
    const apart = Math.abs(replay.decidedAt! - healthy.ended.at);
    assert.ok(apart <= SAME_POINT_TICKS * TICK_MS, `replay completed ${apart} ms from the live completion`);
  });

  it('prints the faulty rollout tick by tick and the rollback time from the command line', async () => {
    const file = join(dir, 'demo-canary.json');
    await writeFile(file, JSON.stringify(policy));
    const args = ['--policy', file, '--service', DEMO_SERVICE, '--baseline', 'v2', '--canary', 'v3'];
    const range = [
      '--from',
      new Date(faulty.startedAt).toISOString(),
      '--to',
      'now',
      '--prometheus',
      stack.prometheusUrl!,
    ];
    const { code, output } = await runCli([...args, ...range]);
    console.log(output);

    assert.equal(code, 0, output);
    assert.match(output, /^\[\S+ \+[\d.]+s\] step \d\/4 \d+% → 0%\s+ROLLBACK .*error-rat(e|io) fail/m);
    const decided = /outcome: rolled back, decided at (\S+) /.exec(output);
    assert.ok(decided, output);
    assert.equal(Date.parse(decided[1]!), replayedAt, 'the same decision time as the replay through the API');
  });
});

function failedOn(verdicts: GateResult[]): boolean {
  // The demo's faulty candidate is caught by its error-rate comparison or by the error-ratio guardrail, whichever
  // has the evidence first.
  return verdicts.some((v) => (v.gate === 'error-rate' || v.gate === 'error-ratio') && v.verdict === 'fail');
}
