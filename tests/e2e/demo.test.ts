import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

const DEMO = new URL('../../backend/src/demo/main.ts', import.meta.url).pathname;

/** Runs `npm run demo`'s entry point as a user would and collects what it prints. */
function runDemo(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', DEMO], {
      env: { ...process.env, SENTRA_LOG_LEVEL: 'warn' },
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

test('the demo promotes the healthy candidate step by step and rolls the faulty one back, judged on Prometheus', async () => {
  const { code, output } = await runDemo();
  assert.equal(code, 0, output);
  assert.match(
    output,
    /Prometheus: http:\/\/127\.0\.0\.1:\d+ \(scraping the router every second\); gates judge PromQL\./
  );

  const advances = [...output.matchAll(/^\[rollout 1\] step (\d)\/4 (\d+)% → (\d+)%\s+(ADVANCE|COMPLETE)/gm)].map(
    (m) => `${m[2]}→${m[3]}`
  );
  assert.deepEqual(advances, ['5→15', '15→30', '30→50', '50→100']);
  assert.match(output, /^\[rollout 2\] step 1\/4 5% → 0%\s+ROLLBACK .*error-rat(e|io) fail/m);
  assert.doesNotMatch(output, /^\[rollout 1\].*ROLLBACK/m);

  assert.match(output, /rollout 1: v1 → v2 completed after/);
  assert.match(output, /rollout 2: v2 → v3 rolled back after/);
  assert.match(output, /canary requests in the second after that: 0$/m);
  const toDecision = /first canary request → rollback decision: ([\d.]+)s/.exec(output);
  assert.ok(toDecision, 'the summary gives the time to the rollback decision');
});
