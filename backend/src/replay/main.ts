import { PrometheusProvider } from '../telemetry/prometheus.ts';
import type { Providers } from '../telemetry/types.ts';
import { USAGE, describeFields, parseCommand } from './args.ts';
import { checkReplay, replay } from './engine.ts';
import { replayHeader, replaySummary, tickLine } from './report.ts';

/**
 * `npm run replay`: judges a policy against a past range of a Prometheus
 * server's data and prints every tick and the outcome. Exit code 0 once the
 * replay ran, whatever it decided; 2 for bad arguments or an invalid policy;
 * 1 when the replay itself failed.
 */
async function main(): Promise<number> {
  const now = Date.now();
  const parsed = await parseCommand(process.argv.slice(2), now);
  if (parsed.ok === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!parsed.ok) return usageError(parsed.errors);
  const { request, prometheusUrl, maxTicks, policyFile } = parsed.command;

  const providers: Providers = {};
  if (prometheusUrl !== null) {
    try {
      providers.prometheus = new PrometheusProvider({ url: prometheusUrl });
    } catch (error) {
      return usageError([`--prometheus: ${(error as Error).message.replace(/^prometheus url: /, '')}`]);
    }
  }
  const problems = checkReplay(request, providers, { now, maxTicks });
  if (problems.length > 0) return usageError(describeFields(problems, policyFile));

  const say = (line: string) => process.stdout.write(`${line}\n`);
  replayHeader(request, prometheusUrl === null ? 'no telemetry' : `Prometheus at ${prometheusUrl}`).forEach(say);
  say('');
  const result = await replay(request, providers, (decision, rollout) =>
    say(tickLine(decision, rollout, request.from))
  );
  say(`\n${replaySummary(result, request)}`);
  return 0;
}

function usageError(errors: string[]): number {
  process.stderr.write(`${errors.join('\n')}\n\n${USAGE}\n`);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`replay failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  }
);
