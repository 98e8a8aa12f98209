import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const DEMO = new URL('../../backend/src/demo/main.ts', import.meta.url).pathname;

/** Runs `npm run demo`'s entry point as a user would, with these arguments, and collects what it prints. */
function runDemo(
  args: string[],
  env: NodeJS.ProcessEnv = process.env
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', DEMO, ...args], {
      env: { ...env, SENTRA_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const PROXIES = [
  { kind: 'haproxy', name: 'HAProxy' },
  { kind: 'nginx', name: 'NGINX' },
] as const;

for (const { kind, name } of PROXIES) {
  test(`behind a real ${name}, the demo promotes the healthy candidate and rolls the faulty one back, judged on the demo service's own metrics`, async () => {
    const { code, output } = await runDemo(['--traffic', kind]);
    assert.equal(code, 0, output);
    assert.match(
      output,
      /^Prometheus: http:\/\/127\.0\.0\.1:\d+ \(scraping the demo service's own \/metrics on v1, v2, v3, v4 every second\); gates judge PromQL\.$/m
    );
    assert.match(
      output,
      new RegExp(
        `^${name}: http://127\\.0\\.0\\.1:\\d+ \\(pid \\d+\\) in front of v1 \\(baseline\\) and v2 \\(canary\\)`,
        'm'
      )
    );
    assert.match(
      output,
      new RegExp(
        `^${name}: http://127\\.0\\.0\\.1:\\d+ \\(pid \\d+\\) in front of v2 \\(baseline\\) and v3 \\(canary\\); the load moved to it\\.$`,
        'm'
      )
    );
    assert.doesNotMatch(output, /^Router:/m);

    const advances = [...output.matchAll(/^\[rollout 1\] step (\d)\/4 (\d+)% → (\d+)%\s+(ADVANCE|COMPLETE)/gm)].map(
      (m) => `${m[2]}→${m[3]}`
    );
    assert.deepEqual(advances, ['5→15', '15→30', '30→50', '50→100']);
    // The faulty candidate is rolled back on its error rate, usually at 5%. An unlucky first sample (few of
    // its 8% errors drawn early) can let it reach 15% first: the policy's statistics, not the proxy's doing.
    assert.match(output, /^\[rollout 2\] step [12]\/4 (5|15)% → 0%\s+ROLLBACK .*error-rat(e|io) fail/m);
    assert.doesNotMatch(output, /^\[rollout 2\].*COMPLETE/m);
    assert.doesNotMatch(output, /^\[rollout 1\].*ROLLBACK/m);

    assert.match(output, /rollout 1: v1 → v2 completed after/);
    assert.match(output, /rollout 2: v2 → v3 rolled back after/);
    assert.match(output, /canary requests in the second after that: 0$/m);
    assert.match(output, /first canary request → rollback decision: [\d.]+s$/m);
    assert.match(output, /first canary request → all traffic back on v2: [\d.]+s$/m);
  });
}

test('without a prometheus binary, --traffic haproxy says in one line that it needs Prometheus and exits 2', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'sentra-no-prometheus-'));
  try {
    const { code, output } = await runDemo(['--traffic', 'haproxy'], { ...process.env, PATH: empty });
    assert.equal(code, 2, output);
    assert.equal(
      output,
      `--traffic haproxy needs Prometheus to read the demo service's own metrics: no prometheus binary on PATH (Debian package "prometheus").\n`
    );
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});

test('--traffic refuses an unknown proxy and --no-prometheus behind a proxy, exiting 2 with the usage', async () => {
  for (const args of [
    ['--traffic', 'envoy'],
    ['--traffic', 'nginx', '--no-prometheus'],
  ]) {
    const { code, output } = await runDemo(args);
    assert.equal(code, 2, output);
    assert.match(
      output,
      /^--(traffic must be one of router, haproxy, nginx|no-prometheus cannot go with --traffic nginx)/
    );
    assert.match(output, /^usage: npm run demo -- /m);
  }
});
