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
import type { DemoStack } from '../../backend/src/demo/stack.ts';
import { DEMO_SERVICE, startDemoStack } from '../../backend/src/demo/stack.ts';
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

describe("replaying the demo's faulty rollout from the same real Prometheus", () => {
  let stack: DemoStack;
  let startedAt: number;
  let rollback: Decision;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sentra-replay-e2e-'));
    const quiet = () => undefined;
    stack = await startDemoStack({ prometheus: 'required', logger: pino({ level: 'silent' }), say: quiet });
    await stack.api.call('POST', '/api/v1/policies', policy);
    const plan = { label: 'faulty', baseline: 'v2' as const, canary: 'v3' as const, policy: policy.name };
    const report = await runRollout(stack, plan, quiet);
    assert.equal(report.outcome, 'rolled_back', `the live rollout itself rolled back: ${report.reason}`);

    const detail = await stack.api.call<{ rollout: RolloutSummary; decisions: Decision[] }>('GET', `/api/v1/rollouts/${report.id}`);
    startedAt = detail.rollout.startedAt;
    rollback = detail.decisions.find((d) => d.kind === 'rollback')!;
    console.log(`live rollout: started ${new Date(startedAt).toISOString()}, rolled back at +${(rollback.at - startedAt) / 1000}s`);
    console.log(`live rollback: ${rollback.reason}`);
  });
  after(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('decides rollback on the error-rate gate at about the same point as the live rollout, through the API', async () => {
    const body = { policyName: policy.name, service: DEMO_SERVICE, baseline: 'v2', canary: 'v3', from: startedAt, to: 'now' };
    const replay = await stack.api.call<ReplayAnswer>('POST', '/api/v1/replay', body);
    for (const tick of replay.ticks) console.log(narrate(tick, startedAt));
    console.log(replay.note);

    assert.equal(replay.outcome, 'rolled_back');
    const last = replay.ticks.at(-1)!;
    assert.equal(last.decision, 'rollback');
    assert.equal(replay.decidedAt, last.at);
    assert.equal(last.verdicts.find((v) => v.gate === 'error-rate')?.verdict, 'fail', last.reason);
    assert.equal(last.stepIndex, rollback.stepIndex, 'rolled back on the same step');
    const apart = Math.abs(last.at - rollback.at);
    assert.ok(apart <= SAME_POINT_TICKS * TICK_MS, `replay decided ${apart} ms from the live rollback`);
    assert.ok(replay.ticks.slice(0, -1).every((t) => t.decision === 'hold'), 'held until the rollback');

    const listed = await stack.api.call<{ rollouts: unknown[] }>('GET', '/api/v1/rollouts');
    assert.equal(listed.rollouts.length, 1, 'the replay stored no rollout of its own');
  });

  it('prints the same ticks and the rollback time from the command line', async () => {
    const file = join(dir, 'demo-canary.json');
    await writeFile(file, JSON.stringify(policy));
    const args = ['--policy', file, '--service', DEMO_SERVICE, '--baseline', 'v2', '--canary', 'v3'];
    const range = ['--from', new Date(startedAt).toISOString(), '--to', 'now', '--prometheus', stack.prometheusUrl!];
    const { code, output } = await runCli([...args, ...range]);
    console.log(output);

    assert.equal(code, 0, output);
    assert.match(output, /^\[\S+ \+[\d.]+s\] step 1\/4 5% → 0%\s+ROLLBACK error-rate fail/m);
    const decided = /outcome: rolled back, decided at (\S+) /.exec(output);
    assert.ok(decided, output);
    assert.ok(Math.abs(Date.parse(decided[1]!) - rollback.at) <= SAME_POINT_TICKS * TICK_MS);
  });
});
