import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';

import { parse as parseYaml } from 'yaml';

import { validatePolicy } from '../domain/policy.ts';
import type { FieldError, Policy } from '../domain/policy.ts';
import type { ReplayRequest } from './engine.ts';
import { INSTANT_HELP, parseInstant } from './time.ts';

export const USAGE = `usage: npm run replay -- --policy <file.yaml|file.json> --service <name> --baseline <version>
         --canary <version> --from <time> [--to <time>] --prometheus <url> [--max-ticks N]
  --policy      the policy to judge with, as YAML or JSON (the shape POST /api/v1/policies takes)
  --service     the service, as the gates' queries name it ($service)
  --baseline    the stable version; --canary the candidate ($version in the queries)
  --from, --to  the range to replay: ${INSTANT_HELP}; --to defaults to now
  --prometheus  the Prometheus server holding that range, e.g. http://127.0.0.1:9090
  --max-ticks   refuse longer ranges (default 2000, at most 100000)`;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const MAX_TICKS_LIMIT = 100_000;

export interface ReplayCommand {
  request: ReplayRequest;
  prometheusUrl: string | null;
  maxTicks: number;
  policyFile: string;
}

export type Parsed = { ok: true; command: ReplayCommand } | { ok: false; errors: string[] } | { ok: 'help' };

/**
 * Reads the command line and the policy file. Every problem names the
 * argument (`--from: …`) or, for the policy, the file and the field
 * (`--policy p.yaml: /gates/0/threshold: is required`).
 */
export async function parseCommand(argv: string[], now: number): Promise<Parsed> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: joinRelativeTimes(argv),
      strict: true,
      options: {
        policy: { type: 'string' },
        service: { type: 'string' },
        baseline: { type: 'string' },
        canary: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string', default: 'now' },
        prometheus: { type: 'string' },
        'max-ticks': { type: 'string', default: '2000' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    return { ok: false, errors: [(error as Error).message] };
  }
  if (values.help) return { ok: 'help' };

  const errors: string[] = [];
  const named = (option: string): string => {
    const value = values[option];
    if (typeof value !== 'string' || value === '') errors.push(`--${option}: is required`);
    else if (!NAME.test(value)) errors.push(`--${option}: "${value}" is not a service or version name`);
    return typeof value === 'string' ? value : '';
  };
  const instant = (option: 'from' | 'to'): number => {
    const value = values[option];
    const at = typeof value === 'string' ? parseInstant(value, now) : null;
    if (typeof value !== 'string') errors.push(`--${option}: is required (${INSTANT_HELP})`);
    else if (at === null) errors.push(`--${option}: "${value}" is not a time: use ${INSTANT_HELP}`);
    return at ?? 0;
  };
  const service = named('service');
  const baseline = named('baseline');
  const canary = named('canary');
  const from = instant('from');
  const to = instant('to');
  const maxTicks = Number(values['max-ticks']);
  if (!Number.isInteger(maxTicks) || maxTicks < 1 || maxTicks > MAX_TICKS_LIMIT) {
    errors.push(`--max-ticks: must be a whole number from 1 to ${MAX_TICKS_LIMIT}`);
  }
  const prometheus = typeof values.prometheus === 'string' ? values.prometheus : null;

  const policyFile = typeof values.policy === 'string' ? values.policy : null;
  if (policyFile === null) errors.push('--policy: is required (a YAML or JSON policy file)');
  const policy = policyFile === null ? null : await loadPolicy(policyFile, errors);
  if (policy && prometheus === null) {
    const gate = policy.gates.find((g) => g.provider === 'prometheus');
    if (gate) errors.push(`--prometheus: is required: gate "${gate.name}" reads prometheus`);
  }
  if (errors.length > 0 || !policy || policyFile === null) return { ok: false, errors };
  const request = { policy, service, baseline, canary, from, to };
  return { ok: true, command: { request, prometheusUrl: prometheus, maxTicks, policyFile } };
}

/**
 * `--from -1h` is how people write it, but a value starting with a dash reads
 * as an option to `parseArgs`; joined as `--from=-1h` it is a value.
 */
function joinRelativeTimes(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if ((argv[i] === '--from' || argv[i] === '--to') && next !== undefined && /^-\d/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}

async function loadPolicy(file: string, errors: string[]): Promise<Policy | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    errors.push(`--policy: cannot read ${file}: ${(error as Error).message}`);
    return null;
  }
  const json = extname(file).toLowerCase() === '.json';
  let input: unknown;
  try {
    input = json ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    errors.push(`--policy ${file}: not valid ${json ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
    return null;
  }
  const result = validatePolicy(input);
  if (result.ok) return result.value;
  errors.push(...result.errors.map((e) => `--policy ${file}: ${e.field || '(the whole policy)'}: ${e.message}`));
  return null;
}

/** The engine's field errors as command-line ones: `/from` is `--from`, `/policy/…` is a field of the file. */
export function describeFields(errors: FieldError[], policyFile: string): string[] {
  return errors.map((e) => {
    if (e.field.startsWith('/policy/'))
      return `--policy ${policyFile}: ${e.field.slice('/policy'.length)}: ${e.message}`;
    return `--${e.field.slice(1)}: ${e.message}`;
  });
}
