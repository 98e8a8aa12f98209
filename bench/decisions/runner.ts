import type { Result, Rule } from './outcome.ts';
import { Run } from './outcome.ts';
import { makeRng, seedOf } from './rng.ts';
import { allRules } from './rules/index.ts';
import type { CorpusSizes, Scenario } from './world.ts';
import { makeCorpus, prepare } from './world.ts';

/**
 * Runs every rule (and every value of its knob) on a slice of the corpus.
 * Outcomes come back as flat numbers, one record per (scenario, rule, knob):
 * scenario index, rule index, knob index, result code, end time, fault onset
 * (-1 for none).
 */
export const RESULT_CODES: readonly Result[] = ['rollback', 'complete', 'paused', 'running'];
export const RECORD = 6;

let memo: { key: string; scenarios: Scenario[]; rules: Rule[] } | null = null;

export function runSlice(seed: number, sizes: CorpusSizes, from: number, to: number): Float64Array {
  const key = JSON.stringify([seed, sizes]);
  if (memo?.key !== key) memo = { key, scenarios: makeCorpus(seed, sizes).scenarios, rules: allRules() };
  const { scenarios, rules } = memo;
  const out: number[] = [];
  for (let i = from; i < Math.min(to, scenarios.length); i++) runScenario(seed, scenarios[i]!, rules, out);
  return Float64Array.from(out);
}

function runScenario(seed: number, scenario: Scenario, rules: Rule[], out: number[]): void {
  const world = prepare(scenario);
  const healthy = scenario.kind === 'healthy' || scenario.kind === 'traffic-drop';
  rules.forEach((rule, r) => {
    if (healthy && rule.family === 'oracle') return;
    rule.knobs.forEach((knob, k) => {
      const run = new Run(world, makeRng(seedOf(seed, scenario.index, r, k)));
      const outcome = rule.run(run, knob);
      out.push(scenario.index, r, k, RESULT_CODES.indexOf(outcome.result), outcome.at, outcome.onset ?? -1);
    });
  });
}
