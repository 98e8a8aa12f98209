import { parseArgs } from 'node:util';

import pino from 'pino';

import { demoPolicy } from '../../backend/src/demo/policy.ts';
import type { RolloutReport } from '../../backend/src/demo/run.ts';
import { runRollout } from '../../backend/src/demo/run.ts';
import { startDemoStack } from '../../backend/src/demo/stack.ts';

/**
 * `npm run bench:demo`: the demo's two rollouts repeated on one stack, the
 * faulty candidate (8% 5xx) and the healthy one `--runs` times each (10 by
 * default), with figures for time to rollback and wrong outcomes.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '10' }, 'no-prometheus': { type: 'boolean', default: false } },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
    process.stderr.write('--runs must be a whole number from 1 to 100\n');
    return 2;
  }
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const stack = await startDemoStack({
    logger: pino({ level: 'warn' }),
    say,
    prometheus: values['no-prometheus'] ? 'off' : 'auto',
  });
  try {
    const policy = demoPolicy(stack.provider);
    await stack.api.call('POST', '/api/v1/policies', policy);
    const faulty: RolloutReport[] = [];
    const healthy: RolloutReport[] = [];
    const quiet = () => undefined;
    for (let i = 1; i <= runs; i++) {
      const bad = await runRollout(
        stack,
        { label: `faulty ${i}`, baseline: 'v1', canary: 'v3', policy: policy.name },
        quiet
      );
      faulty.push(bad);
      say(
        `faulty  ${String(i).padStart(2)}: ${bad.outcome.padEnd(11)} decision ${secs(bad.toRollbackDecisionMs)}  traffic back ${secs(bad.toBaselineMs)}`
      );
      if (bad.outcome !== 'rolled_back') say(`            reason: ${bad.reason}`);
      const good = await runRollout(
        stack,
        { label: `healthy ${i}`, baseline: 'v1', canary: 'v2', policy: policy.name },
        quiet
      );
      healthy.push(good);
      say(`healthy ${String(i).padStart(2)}: ${good.outcome.padEnd(11)} in ${secs(good.totalMs)}`);
      if (good.outcome !== 'completed') say(`            reason: ${good.reason}`);
    }
    say(`\n${report(faulty, healthy, stack.provider)}`);
    return 0;
  } finally {
    await stack.close();
  }
}

function report(faulty: RolloutReport[], healthy: RolloutReport[], provider: string): string {
  const decisions = faulty.map((r) => r.toRollbackDecisionMs).filter((v): v is number => v !== null);
  const back = faulty.map((r) => r.toBaselineMs).filter((v): v is number => v !== null);
  const completed = healthy.filter((r) => r.outcome === 'completed');
  return [
    `bench:demo (${provider} telemetry, ${faulty.length} faulty and ${healthy.length} healthy rollouts)`,
    `  faulty candidate rolled back:            ${faulty.filter((r) => r.outcome === 'rolled_back').length} of ${faulty.length}`,
    `  first canary request → rollback decision: median ${secs(median(decisions))}, worst ${secs(Math.max(...decisions))}`,
    `  first canary request → traffic on stable: median ${secs(median(back))}, worst ${secs(Math.max(...back))}`,
    `  healthy candidate completed:             ${completed.length} of ${healthy.length}`,
    `  healthy candidate wrongly rolled back:   ${healthy.filter((r) => r.outcome === 'rolled_back').length}`,
    `  healthy rollout duration:                median ${secs(median(completed.map((r) => r.totalMs)))}`,
  ].join('\n');
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function secs(ms: number | null): string {
  return ms === null || !Number.isFinite(ms) ? 'n/a' : `${(ms / 1000).toFixed(1)}s`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:demo failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  }
);
