import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

import { calibrate, indexOutcomes } from './aggregate.ts';
import { buildReport } from './build-report.ts';
import { allRules } from './rules/index.ts';
import { runSlice } from './runner.ts';
import type { CorpusSizes } from './world.ts';
import { FULL_SIZES, QUICK_SIZES, makeCorpus } from './world.ts';

/**
 * `npm run bench:decisions [-- --quick] [--seed N] [--out DIR]`: replays a
 * simulated corpus of healthy and bad canaries through Sentra's decision
 * engine and the rules people would otherwise use, and reports false
 * rollbacks, times to rollback beside Wald's bound, and times to complete.
 */

interface Options {
  quick: boolean;
  seed: number;
  out: string;
  workers: number;
}

function options(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seed = Number(value('--seed') ?? 20240611);
  const workers = Number(value('--workers') ?? Math.min(2, cpus().length));
  if (!Number.isInteger(seed) || !Number.isInteger(workers) || workers < 1) {
    throw new Error('--seed and --workers take whole numbers');
  }
  return { quick: argv.includes('--quick'), seed, out: value('--out') ?? 'results/decisions', workers };
}

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const sizes = opts.quick ? QUICK_SIZES : FULL_SIZES;
  const { scenarios, cellOf } = makeCorpus(opts.seed, sizes);
  const rules = allRules();
  const started = Date.now();
  console.log(
    `decision benchmark: ${scenarios.length} scenarios, ${rules.length} rules, seed ${opts.seed}${opts.quick ? ', quick' : ''}`
  );

  const data = await runAll(opts, sizes, scenarios.length);
  const out = indexOutcomes(data, scenarios.length, rules);
  const cal = calibrate(out, scenarios, rules);
  const report = buildReport({ out, cal, scenarios, cellOf, rules, seed: opts.seed, quick: opts.quick });

  console.log(report.text);
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(join(opts.out, 'decisions.md'), report.markdown);
  for (const [name, body] of Object.entries(report.csv)) writeFileSync(join(opts.out, `${name}.csv`), body);
  writeFileSync(join(opts.out, 'decisions.svg'), report.svg);
  console.log(
    `\nwrote ${opts.out}/decisions.md, *.csv and decisions.svg in ${((Date.now() - started) / 1000).toFixed(0)}s`
  );
}

/** Splits the corpus into chunks handed to worker threads as they free up. */
async function runAll(opts: Options, sizes: CorpusSizes, total: number): Promise<Float64Array> {
  const chunk = 50;
  const chunks: [number, number][] = [];
  for (let from = 0; from < total; from += chunk) chunks.push([from, Math.min(total, from + chunk)]);
  const parts: Float64Array[] = [];
  let next = 0;
  let done = 0;

  await Promise.all(
    Array.from({ length: opts.workers }, () => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { seed: opts.seed, sizes } });
      return new Promise<void>((resolve, reject) => {
        const feed = () => {
          if (next >= chunks.length) {
            void worker.terminate().then(() => resolve());
            return;
          }
          worker.postMessage(chunks[next++]);
        };
        worker.on('message', (part: Float64Array) => {
          parts.push(part);
          done++;
          if (done % 20 === 0 && process.stderr.isTTY) process.stderr.write(`  ${done}/${chunks.length} chunks\r`);
          feed();
        });
        worker.on('error', reject);
        feed();
      });
    })
  );
  const length = parts.reduce((n, p) => n + p.length, 0);
  const all = new Float64Array(length);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
} else {
  const { seed, sizes } = workerData as { seed: number; sizes: CorpusSizes };
  parentPort!.on('message', ([from, to]: [number, number]) => {
    const part = runSlice(seed, sizes, from, to);
    parentPort!.postMessage(part, [part.buffer as ArrayBuffer]);
  });
}
