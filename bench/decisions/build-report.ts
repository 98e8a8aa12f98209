import type { Calibration, Outcomes, Timing } from './aggregate.ts';
import { FALSE_ROLLBACK_GOAL, boundSeconds, outcomeShares, timing } from './aggregate.ts';
import type { Rule } from './outcome.ts';
import type { Panel, Table } from './report.ts';
import { csv, markdown, percent, seconds, svgPlot, text } from './report.ts';
import { CONFIDENCES } from './rules/kayenta.ts';
import { THRESHOLD_MULTIPLES } from './rules/threshold.ts';
import type { Cell, Scenario } from './world.ts';
import { TRAFFIC_LEVELS, badCells } from './world.ts';

interface Input {
  out: Outcomes;
  cal: Calibration;
  scenarios: Scenario[];
  cellOf: (Cell | null)[];
  rules: Rule[];
  seed: number;
  quick: boolean;
}

export interface Report {
  text: string;
  markdown: string;
  csv: Record<string, string>;
  svg: string;
}

/** One tick of Sentra's default interval, the slack the time goal allows. */
const TICK_S = 5;
const BOUND_GOAL_LIMIT_S = 600;

export function buildReport(input: Input): Report {
  const healthy = healthyTable(input);
  const cells = cellRows(input);
  const faults = faultTable(cells, input);
  const goals = goalTable(cells, input);
  const tables = [healthy, faults, goals];
  const intro = [
    `Seed ${input.seed}${input.quick ? ' (quick run)' : ''}; ${input.scenarios.length} simulated rollouts per rule.`,
    'Each rule sees the same scenarios; times count from when the fault first reaches the canary.',
  ];
  return {
    text: [...intro, '', ...tables.map(text)].join('\n\n'),
    markdown: ['# Decision benchmark', '', ...intro, '', ...tables.map(markdown)].join('\n\n'),
    csv: { healthy: csv(healthy), faults: csv(faults), goals: csv(goals) },
    svg: plot(cells, input),
  };
}

function rulesOf(input: Input, family: Rule['family']): number[] {
  return input.rules.map((r, i) => (r.family === family ? i : -1)).filter((i) => i >= 0);
}

function knobLabel(rule: Rule, k: number): string {
  if (rule.family === 'kayenta') return `${CONFIDENCES[k]! * 100}%`;
  if (rule.family === 'flagger' || rule.family === 'argo') return `×${THRESHOLD_MULTIPLES[k]}`;
  return 'α 0.005';
}

function healthyTable(input: Input): Table {
  const { out, cal, scenarios, rules } = input;
  const rows: string[][] = [];
  rules.forEach((rule, r) => {
    if (rule.family === 'oracle') return;
    const perLevel = TRAFFIC_LEVELS.map((level, l) => {
      const members = scenarios.filter((s) => s.kind === 'healthy' && s.traffic === level).map((s) => s.index);
      return { members, k: cal.knob[r]![l]!, met: cal.met[r]![l]! };
    });
    const falseRates = perLevel.map(({ members, k }) => outcomeShares(out, members, r, k).rollback!);
    const completes = perLevel.map(({ members, k }) => outcomeShares(out, members, r, k).completeMedian);
    const drops = TRAFFIC_LEVELS.flatMap((level, l) =>
      scenarios
        .filter((s) => s.kind === 'traffic-drop' && s.traffic === level)
        .map((s) => ({ s: s.index, k: cal.knob[r]![l]! }))
    );
    const dropShare = (result: string) =>
      drops.filter(({ s, k }) => out.at(s, r, k)?.result === result).length / drops.length;
    const all = falseRates.reduce((a, b) => a + b, 0) / falseRates.length;
    rows.push([
      `${rule.label}${rule.isDefault && rule.family !== 'sentra' ? ' (default)' : ''}`,
      perLevel.map(({ k, met }) => `${knobLabel(rule, k)}${met ? '' : '!'}`).join(' '),
      ...falseRates.map((x) => (x * 1000).toFixed(1)),
      (all * 1000).toFixed(1),
      ...completes.map(seconds),
      `${percent(dropShare('rollback'))}/${percent(dropShare('complete'))}/${percent(dropShare('paused') + dropShare('running'))}`,
    ]);
  });
  return {
    title: 'Healthy canaries: false rollbacks per 1,000 rollouts and median time to complete',
    head: [
      'rule',
      'setting per traffic',
      ...TRAFFIC_LEVELS.map((l) => `false@${l}/s`),
      'false all',
      ...TRAFFIC_LEVELS.map((l) => `done@${l}/s`),
      'drop: rb/done/held',
    ],
    rows,
    notes: [
      `Threshold rules' limits (×k of the baseline's usual rate) and Kayenta's confidence are calibrated per traffic level: the most sensitive setting with at most ${
        FALSE_ROLLBACK_GOAL * 1000
      } false rollbacks per 1,000 healthy rollouts; "!" marks a level where none met it.`,
      'drop: traffic stops 1 to 2.5 minutes in; share rolled back / completed (promoted blind) / paused or still held.',
    ],
  };
}

interface CellRow {
  cell: Cell;
  bound: number;
  sentra: Timing[];
  wald: Timing;
  fixed: Timing;
  flaggerDefault: Timing;
  argoDefault: Timing;
  bestTuned: { rule: Rule; timing: Timing } | null;
  kayenta: { rule: Rule; timing: Timing } | null;
}

function cellRows(input: Input): CellRow[] {
  const { out, cal, scenarios, cellOf, rules } = input;
  const level = (traffic: number) => TRAFFIC_LEVELS.indexOf(traffic as (typeof TRAFFIC_LEVELS)[number]);
  const sentra = rulesOf(input, 'sentra');
  const [wald, fixed] = rulesOf(input, 'oracle');
  const thresholds = [...rulesOf(input, 'flagger'), ...rulesOf(input, 'argo')];
  const flaggerDefault = rulesOf(input, 'flagger').find((r) => rules[r]!.isDefault)!;
  const argoDefault = rulesOf(input, 'argo').find((r) => rules[r]!.isDefault)!;

  return badCells().map((cell) => {
    const members = scenarios.filter((s) => sameCell(cellOf[s.index], cell)).map((s) => s.index);
    const l = level(cell.traffic);
    const at = (r: number) => timing(out, members, r, cal.knob[r]![l]!);
    const best = (candidates: number[]) => {
      const eligible = candidates.filter((r) => cal.met[r]![l]!).map((r) => ({ rule: rules[r]!, timing: at(r) }));
      eligible.sort((a, b) => a.timing.median - b.timing.median || b.timing.caught - a.timing.caught);
      return eligible[0] ?? null;
    };
    return {
      cell,
      bound: boundSeconds(cell, scenarios[members[0]!]!),
      sentra: sentra.map(at),
      wald: at(wald!),
      fixed: at(fixed!),
      flaggerDefault: at(flaggerDefault),
      argoDefault: at(argoDefault),
      bestTuned: best(thresholds),
      kayenta: best(rulesOf(input, 'kayenta')),
    };
  });
}

function sameCell(a: Cell | null | undefined, b: Cell): boolean {
  return (
    !!a && a.kind === b.kind && a.size === b.size && a.baselineError === b.baselineError && a.traffic === b.traffic
  );
}

export function cellName(cell: Cell): string {
  const base = `${(cell.baselineError * 100).toFixed(1)}%`;
  if (cell.kind === 'error') return `errors ${cell.size}× over ${base}`;
  if (cell.kind === 'latency') return `latency ×${cell.size}`;
  if (cell.kind === 'slow-burn') return `slow burn over ${base}`;
  return `errors ${cell.size}× at ≥30% weight`;
}

function medianCaught(t: Timing): string {
  return `${seconds(t.median)} ${percent(t.caught / Math.max(1, t.runs))}`;
}

function faultTable(rows: CellRow[], input: Input): Table {
  const extraSentra = rulesOf(input, 'sentra')
    .slice(1)
    .map((r) => input.rules[r]!.label);
  return {
    title: 'Bad canaries: median (and p95) time to rollback, share caught, beside Wald’s bound',
    head: [
      'fault',
      'req/s',
      'Wald bound',
      'Wald sim',
      'fixed',
      'Sentra med',
      'p95',
      'caught',
      ...extraSentra.map((_, i) => `alt${i + 1} med`),
      'Flagger def',
      'Argo def',
      'best tuned',
      'Kayenta best',
    ],
    rows: rows.map((row) => [
      cellName(row.cell),
      String(row.cell.traffic),
      seconds(row.bound),
      seconds(row.wald.median),
      seconds(row.fixed.median),
      seconds(row.sentra[0]!.median),
      seconds(row.sentra[0]!.p95),
      percent(row.sentra[0]!.caught / row.sentra[0]!.runs),
      ...row.sentra.slice(1).map((t) => medianCaught(t)),
      medianCaught(row.flaggerDefault),
      medianCaught(row.argoDefault),
      row.bestTuned ? `${medianCaught(row.bestTuned.timing)} ${shortId(row.bestTuned.rule)}` : 'none meets',
      row.kayenta ? `${medianCaught(row.kayenta.timing)} ${shortId(row.kayenta.rule)}` : 'none meets',
    ]),
    notes: [
      'Medians and p95 count a missed fault as never. "best tuned": the fastest Flagger or Argo setting (tighter intervals and counts) that meets the false-rollback goal at that traffic.',
      ...extraSentra.map((label, i) => `alt${i + 1}: ${label}`),
    ],
  };
}

function shortId(rule: Rule): string {
  return `[${rule.id}]`;
}

function goalTable(rows: CellRow[], input: Input): Table {
  const { out, scenarios } = input;
  const healthy = scenarios.filter((s) => s.kind === 'healthy').map((s) => s.index);
  const sentraFalse = outcomeShares(out, healthy, 0, 0).rollback!;
  const boundCells = rows.filter((r) => r.bound < BOUND_GOAL_LIMIT_S);
  const withinBound = boundCells.filter(
    (r) => r.sentra[0]!.median <= 1.5 * r.bound + TICK_S && r.sentra[0]!.caught >= 0.95 * r.sentra[0]!.runs
  );
  const versus = (pick: (r: CellRow) => Timing | null, factor: number) => {
    const judged = rows.filter((r) => {
      const other = pick(r);
      return other !== null && (Number.isFinite(other.median) || Number.isFinite(r.sentra[0]!.median));
    });
    const met = judged.filter((r) => r.sentra[0]!.median <= factor * pick(r)!.median);
    return `${met.length} of ${judged.length} cells`;
  };
  const missed = boundCells
    .filter((r) => !withinBound.includes(r))
    .map((r) => `${cellName(r.cell)} @${r.cell.traffic}/s`);
  return {
    title: 'Goals',
    head: ['goal', 'result'],
    rows: [
      [
        'at most 5 false rollbacks per 1,000 healthy rollouts',
        `${(sentraFalse * 1000).toFixed(1)} per 1,000 (${healthy.length} rollouts)`,
      ],
      [
        'median ≤ 1.5 × bound + one tick, ≥ 95% caught, where the bound < 10 min',
        `${withinBound.length} of ${boundCells.length} cells`,
      ],
      ['median ≤ 1/10 of Flagger default (60s × 5)', versus((r) => r.flaggerDefault, 0.1)],
      ['median ≤ 1/10 of Argo default (5m, failureLimit 3)', versus((r) => r.argoDefault, 0.1)],
      ['median ≤ 1/2 of the best tuned Flagger/Argo setting', versus((r) => r.bestTuned?.timing ?? null, 0.5)],
    ],
    notes: missed.length > 0 ? [`time goal missed in: ${missed.join('; ')}`] : [],
  };
}

function plot(rows: CellRow[], input: Input): string {
  const groups = new Map<string, CellRow[]>();
  for (const row of rows) {
    const key = cellName(row.cell);
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const panels: Panel[] = [...groups.entries()].map(([title, cells]) => {
    const sorted = TRAFFIC_LEVELS.map((l) => cells.find((c) => c.cell.traffic === l)!);
    return {
      title,
      series: [
        { label: 'Wald bound', color: '#000', dashed: true, points: sorted.map((c) => c.bound) },
        { label: 'Sentra', color: '#d62728', points: sorted.map((c) => c.sentra[0]!.median) },
        { label: 'Flagger 60s × 5', color: '#1f77b4', points: sorted.map((c) => c.flaggerDefault.median) },
        { label: 'Argo 5m, limit 3', color: '#ff7f0e', points: sorted.map((c) => c.argoDefault.median) },
        {
          label: 'best tuned Flagger/Argo',
          color: '#9467bd',
          dashed: true,
          points: sorted.map((c) => c.bestTuned?.timing.median ?? Infinity),
        },
        {
          label: 'best Kayenta',
          color: '#2ca02c',
          dashed: true,
          points: sorted.map((c) => c.kayenta?.timing.median ?? Infinity),
        },
      ],
    };
  });
  const title = `Median time to rollback by canary traffic (seed ${input.seed}${input.quick ? ', quick' : ''})`;
  return svgPlot(title, TRAFFIC_LEVELS, panels);
}
