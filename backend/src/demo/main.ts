import { parseArgs } from 'node:util';

import pino from 'pino';

import type { DemoTraffic } from './front.ts';
import { DEMO_TRAFFIC, missingForTraffic } from './front.ts';
import { parseLokiChoice } from './loki.ts';
import { demoPolicy, logGates } from './policy.ts';
import type { RolloutReport } from './run.ts';
import { runRollout } from './run.ts';
import { startDemoStack } from './stack.ts';

/**
 * `npm run demo`: two canary rollouts of the demo service on embedded
 * defaults, narrated tick by tick. The healthy candidate is promoted step by
 * step; the faulty one (8% of answers are 5xx) is rolled back. With
 * `--traffic haproxy|nginx` a real proxy moves the traffic and the gates read
 * the demo service's own metrics through Prometheus. With `--loki`, a third
 * rollout is rolled back on its logs alone: all its answers succeed, but it
 * logs a new kind of exception.
 */
const USAGE = `usage: npm run demo -- [--keep-running] [--no-prometheus] [--traffic router|haproxy|nginx] [--loki URL|fake] [--port N] [--rate N]
  --keep-running   leave the backend, router or proxy and demo service up after the rollouts (Ctrl-C stops them)
  --no-prometheus  judge the router's own counters even when prometheus is on PATH (router only)
  --traffic KIND   what moves the traffic: the built-in router (default), or a real haproxy or nginx
                   (/usr/sbin/haproxy, /usr/sbin/nginx); gates then read the demo service's own metrics,
                   which needs prometheus on PATH
  --loki URL|fake  push the demo service's logs to this Loki (or to a stand-in for one with "fake"), add two
                   log gates and a third rollout, v2 → v4, that only its logs give away
  --port N         port for the Sentra API (default: a free one; 8080 with --keep-running)
  --rate N         requests per second through the router or proxy (default 200)`;

const CARRIERS: Record<DemoTraffic, string> = { router: 'the router', haproxy: 'HAProxy', nginx: 'NGINX' };

async function main(): Promise<number> {
  const args = parse();
  if (!args) return 2;
  const missing = await missingForTraffic(args.traffic);
  if (missing !== null) {
    process.stderr.write(`${missing}\n`);
    return 2;
  }
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const logger = pino({ level: process.env.SENTRA_LOG_LEVEL ?? 'warn' });

  const carrier = CARRIERS[args.traffic];
  const versions = `v1 stable, v2 healthy, v3 faulty${args.loki ? ', v4 logging a new exception' : ''}`;
  say(`Sentra demo: starting the demo service (${versions}), ${carrier}, load, telemetry and the backend.`);
  const { rate, port, prometheus, traffic } = args;
  const stack = await startDemoStack({ rate, port, prometheus, traffic, loki: args.loki ?? undefined, logger, say });
  let closing: Promise<void> | null = null;
  const shutdown = () => (closing ??= stack.close());
  // Everything the demo started (Prometheus, proxies, temp folders) is stopped and removed before the process
  // exits, whether it ends, fails, or is interrupted in the middle of a rollout.
  stopOnSignal('SIGINT', 130, shutdown);
  stopOnSignal('SIGTERM', 143, shutdown);
  try {
    return await run(stack, args, say);
  } catch (error) {
    if (closing) {
      await closing;
      return interrupted ?? 1;
    }
    throw error;
  } finally {
    await shutdown();
  }
}

let interrupted: number | null = null;

function stopOnSignal(signal: NodeJS.Signals, code: number, shutdown: () => Promise<void>): void {
  process.once(signal, () => {
    interrupted = code;
    void shutdown().then(() => process.exit(code));
  });
}

type DemoArgs = NonNullable<ReturnType<typeof parse>>;

async function run(
  stack: Awaited<ReturnType<typeof startDemoStack>>,
  args: DemoArgs,
  say: (line: string) => void
): Promise<number> {
  say(`Backend: ${stack.backendUrl}  API token: ${stack.token}`);
  say(`${stack.front.describe()}; load ${args.rate} req/s\n`);

  const policy = demoPolicy(stack.telemetry);
  if (args.loki) policy.gates.push(...logGates());
  await stack.api.call('POST', '/api/v1/policies', policy);
  const reports: RolloutReport[] = [];
  reports.push(await runRollout(stack, { label: 'rollout 1', baseline: 'v1', canary: 'v2', policy: policy.name }, say));
  say('');
  reports.push(await runRollout(stack, { label: 'rollout 2', baseline: 'v2', canary: 'v3', policy: policy.name }, say));
  if (args.loki) {
    say('');
    const third = { label: 'rollout 3', baseline: 'v2', canary: 'v4', policy: policy.name } as const;
    reports.push(await runRollout(stack, third, say));
  }
  say(`\n${summary(reports)}`);

  const ok = reports[0]?.outcome === 'completed' && reports.slice(1).every((r) => r.outcome === 'rolled_back');
  if (args.keepRunning) {
    say(
      `\nStill running (Ctrl-C to stop). Try:\n  curl -H 'Authorization: Bearer ${stack.token}' ${stack.backendUrl}/api/v1/rollouts`
    );
    await new Promise(() => undefined);
  }
  return ok ? 0 : 1;
}

export function summary(reports: RolloutReport[]): string {
  const lines = ['Summary'];
  for (const r of reports) {
    lines.push(`  ${r.label}: ${r.baseline} → ${r.canary} ${r.outcome.replace('_', ' ')} after ${seconds(r.totalMs)}`);
    const steps = r.steps.map(
      (s) =>
        `${s.weight}% ${s.seconds === null ? 'open' : `${s.seconds.toFixed(1)}s`}${s.outcome ? ` (${s.outcome})` : ''}`
    );
    lines.push(`    steps: ${steps.join(' · ')}`);
    if (r.outcome === 'rolled_back') {
      lines.push(`    first canary request → rollback decision: ${seconds(r.toRollbackDecisionMs)}`);
      lines.push(`    first canary request → all traffic back on ${r.baseline}: ${seconds(r.toBaselineMs)}`);
      lines.push(`    canary requests in the second after that: ${r.canaryRequestsAfterRollback}`);
      lines.push(`    gates: ${r.verdicts.map((v) => `${v.gate} ${v.verdict}`).join(' · ')}`);
      lines.push(`    reason: ${r.reason}`);
    }
  }
  return lines.join('\n');
}

function seconds(ms: number | null): string {
  return ms === null ? 'n/a' : `${(ms / 1000).toFixed(1)}s`;
}

function parse() {
  try {
    const { values } = parseArgs({
      options: {
        'keep-running': { type: 'boolean', default: false },
        'no-prometheus': { type: 'boolean', default: false },
        port: { type: 'string' },
        rate: { type: 'string', default: '200' },
        loki: { type: 'string' },
        traffic: { type: 'string', default: 'router' },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return null;
    }
    const rate = Number(values.rate);
    const port = values.port === undefined ? (values['keep-running'] ? 8080 : 0) : Number(values.port);
    if (!Number.isInteger(rate) || rate < 1 || rate > 5000)
      throw new Error('--rate must be a whole number from 1 to 5000');
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be a port number');
    const traffic = DEMO_TRAFFIC.find((kind) => kind === values.traffic);
    if (traffic === undefined) throw new Error(`--traffic must be one of ${DEMO_TRAFFIC.join(', ')}`);
    if (traffic !== 'router' && values['no-prometheus']) {
      throw new Error(
        `--no-prometheus cannot go with --traffic ${traffic}: the gates read the demo service's metrics through Prometheus`
      );
    }
    const loki = values.loki === undefined ? null : parseLokiChoice(values.loki);
    const prometheus = values['no-prometheus'] ? ('off' as const) : ('auto' as const);
    return { keepRunning: values['keep-running'], prometheus, port, rate, traffic, loki };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return null;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const { code, message, stack } = error as NodeJS.ErrnoException;
    const text = code === 'EADDRINUSE' ? `${message}: choose another --port` : (stack ?? String(error));
    process.stderr.write(`demo failed: ${text}\n`);
    process.exit(1);
  }
);
