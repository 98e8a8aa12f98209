import type { Rule } from '../outcome.ts';
import { kayentaRule } from './kayenta.ts';
import { fixedRule, waldRule } from './oracle.ts';
import { sentraPolicy, sentraRule } from './sentra.ts';
import { argoRule, flaggerRule } from './threshold.ts';

/** Every rule the benchmark runs, Sentra first. Defaults are marked; the rest are tighter settings. */
export function allRules(): Rule[] {
  return [
    sentraRule('sentra', 'Sentra (defaults; steps 1m–3m)', sentraPolicy('1m', '3m')),
    flaggerRule(60, 5, true),
    flaggerRule(30, 5, false),
    flaggerRule(30, 3, false),
    flaggerRule(10, 3, false),
    flaggerRule(10, 2, false),
    flaggerRule(10, 1, false),
    argoRule(300, 3, true),
    argoRule(60, 2, false),
    argoRule(30, 1, false),
    argoRule(10, 1, false),
    argoRule(10, 0, false),
    kayentaRule(600, 10, true),
    kayentaRule(300, 10, false),
    kayentaRule(120, 12, false),
    waldRule,
    fixedRule,
  ];
}
