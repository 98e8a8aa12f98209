import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { describeFields, parseCommand } from '../../../backend/src/replay/args.ts';
import { RouterCounters, growing } from '../../fixtures/prometheus/router-counters.ts';
import { startFakePrometheus } from '../../fixtures/prometheus/server.ts';
import type { FakePrometheus } from '../../fixtures/prometheus/server.ts';

const MAIN = new URL('../../../backend/src/replay/main.ts', import.meta.url).pathname;
const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
const T0 = Date.UTC(2024, 5, 3, 9, 0, 0);

const POLICY_YAML = `name: replayed
steps:
  - { weight: 5, minDuration: 10s }
  - { weight: 25, minDuration: 10s }
gates:
  - { name: error-rate, kind: error-rate, provider: prometheus, minSamples: 50 }
limits: { tickInterval: 1s, telemetryLag: 2s, queryTimeout: 2s }
`;

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the replay command line', () => {
  let dir: string;
  let files: Record<string, string>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sentra-replay-cli-'));
    const contents: Record<string, [string, string]> = {
      good: ['policy.yaml', POLICY_YAML],
      json: [
        'policy.json',
        JSON.stringify({
          name: 'j',
          steps: [{ weight: 5, minDuration: '1s' }],
          gates: [{ name: 'e', kind: 'error-rate', provider: 'prometheus' }],
        }),
      ],
      noThreshold: [
        'no-threshold.yaml',
        POLICY_YAML.replace(
          'kind: error-rate, provider: prometheus, minSamples: 50',
          'kind: query, provider: prometheus, query: up, op: "<"'
        ),
      ],
      broken: ['broken.yaml', 'name: [unclosed\n'],
      router: ['router.yaml', POLICY_YAML.replace('provider: prometheus', 'provider: router')],
    };
    files = {};
    for (const [key, [name, text]] of Object.entries(contents)) {
      const path = join(dir, name);
      files[key] = path;
      await writeFile(path, text);
    }
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  const base = (policy: string) => [
    '--policy',
    policy,
    '--service',
    'checkout',
    '--baseline',
    'v1',
    '--canary',
    'v2',
    '--prometheus',
    'http://127.0.0.1:9',
  ];

  it('reads a YAML or JSON policy and the range, relative to now or as ISO times', async () => {
    const parsed = await parseCommand([...base(files.good!), '--from', '-10m', '--to', '2026-01-31T11:55:00Z'], NOW);
    assert.equal(parsed.ok, true);
    if (parsed.ok !== true) return;
    assert.equal(parsed.command.request.policy.name, 'replayed');
    assert.equal(parsed.command.request.from, NOW - 600_000);
    assert.equal(parsed.command.request.to, NOW - 300_000);
    assert.equal(parsed.command.maxTicks, 2000);

    const json = await parseCommand([...base(files.json!), '--from', '-1m'], NOW);
    assert.equal(json.ok, true);
    if (json.ok === true) assert.equal(json.command.request.to, NOW, '--to defaults to now');
  });

  it('names every missing or bad argument', async () => {
    const empty = await parseCommand([], NOW);
    assert.equal(empty.ok, false);
    if (empty.ok !== false) return;
    for (const option of ['--service', '--baseline', '--canary', '--from', '--policy']) {
      assert.ok(
        empty.errors.some((e) => e.startsWith(`${option}: is required`)),
        `${option} in ${empty.errors.join('; ')}`
      );
    }
    const bad = await parseCommand(
      [...base(files.good!), '--from', 'yesterday', '--max-ticks', '0', '--canary', 'v 2'],
      NOW
    );
    assert.deepEqual(bad.ok === false && bad.errors.map((e) => e.split(':')[0]), ['--canary', '--from', '--max-ticks']);
    const unknown = await parseCommand(['--frm', '-1h'], NOW);
    assert.match(unknown.ok === false ? unknown.errors[0]! : '', /Unknown option '--frm'/);
  });

  it('names the policy file and the field of an invalid policy', async () => {
    const missing = await parseCommand([...base(files.noThreshold!), '--from', '-1m'], NOW);
    assert.deepEqual(missing.ok === false && missing.errors, [
      `--policy ${files.noThreshold}: /gates/0/threshold: is required`,
    ]);
    const broken = await parseCommand([...base(files.broken!), '--from', '-1m'], NOW);
    assert.match(broken.ok === false ? broken.errors[0]! : '', /^--policy .*broken\.yaml: not valid YAML/);
    const absent = await parseCommand([...base(join(dir, 'nope.yaml')), '--from', '-1m'], NOW);
    assert.match(absent.ok === false ? absent.errors[0]! : '', /^--policy: cannot read .*nope\.yaml/);
  });

  it('asks for --prometheus when a gate reads Prometheus', async () => {
    const parsed = await parseCommand(
      ['--policy', files.good!, '--service', 's', '--baseline', 'a', '--canary', 'b', '--from', '-1m'],
      NOW
    );
    assert.deepEqual(parsed.ok === false && parsed.errors, [
      '--prometheus: is required: gate "error-rate" reads prometheus',
    ]);
  });

  it('words the engine checks as arguments and policy fields', () => {
    const lines = describeFields(
      [
        { field: '/to', message: 'is in the future' },
        { field: '/policy/gates/0/provider', message: 'no loki provider' },
      ],
      'p.yaml'
    );
    assert.deepEqual(lines, ['--to: is in the future', '--policy p.yaml: /gates/0/provider: no loki provider']);
  });

  it('exits with code 2 and the argument named, for bad arguments, an invalid policy or a range it refuses', async () => {
    const cases: [string[], RegExp][] = [
      [[...base(files.good!)], /^--from: is required/m],
      [[...base(files.noThreshold!), '--from', '-1m'], /\/gates\/0\/threshold: is required/],
      [
        [...base(files.router!), '--from', '-1m'],
        /^--policy .*router\.yaml: \/gates\/0\/provider: the router provider knows only live counts/m,
      ],
      [[...base(files.good!), '--from', '-3h'], /^--to: from .* is 10801 ticks of 1s; a replay takes at most 2000/m],
      [[...base(files.good!), '--from', '-1m', '--to', '2999-01-01T00:00:00Z'], /^--to: is in the future/m],
      [[...base(files.good!).slice(0, -1), 'ftp://x', '--from', '-1m'], /^--prometheus: must be http or https/m],
    ];
    for (const [args, pattern] of cases) {
      const { code, stdout, stderr } = await runCli(args);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, pattern);
      assert.match(stderr, /usage: npm run replay/);
      assert.equal(stdout, '');
    }
  });

  describe('against a fake Prometheus', () => {
    let fake: FakePrometheus;
    before(async () => {
      fake = await startFakePrometheus();
      new RouterCounters('checkout')
        .set('v1', growing({ from: T0 - 60_000, everyMs: 1000, perTick: { requests: 950, errors: 2 } }))
        .set('v2', growing({ from: T0, everyMs: 1000, perTick: { requests: 50, errors: 8 } }))
        .install(fake);
    });
    after(async () => fake.close());

    it('prints every tick in the demo format and a summary with when the rollback would have been decided', async () => {
      const from = new Date(T0).toISOString();
      const to = new Date(T0 + 60_000).toISOString();
      const args = [...base(files.good!).slice(0, -1), fake.url, '--from', from, '--to', to];
      const { code, stdout, stderr } = await runCli(args);

      assert.equal(code, 0, stderr);
      assert.match(stdout, /^Replaying policy replayed \(2 steps, 1 gates, a tick every 1s\) for checkout v1 → v2$/m);
      assert.match(stdout, /cannot change past traffic/);
      const ticks = stdout.split('\n').filter((line) => line.startsWith('[09:00:'));
      assert.match(ticks[0]!, /^\[09:00:00\.000Z \+0\.0s\] step 1\/2 5%\s+HOLD\s+error-rate inconclusive/);
      assert.match(ticks.at(-1)!, /^\[09:00:0\d\.000Z \+\d\.0s\] step 1\/2 5% → 0%\s+ROLLBACK error-rate fail/);
      const decided = /outcome: rolled back, decided at (\S+) \(\+(\d+\.\d)s\), step 1\/2 at 5%/.exec(stdout);
      assert.ok(decided, stdout);
      assert.equal(Date.parse(decided[1]!), T0 + Number(decided[2]) * 1000);
      assert.match(stdout, new RegExp(`ticks: ${ticks.length} \\(hold ${ticks.length - 1}, rollback 1\\)`));
    });
  });
});
