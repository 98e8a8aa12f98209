import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

const DEMO = new URL('../../backend/src/demo/main.ts', import.meta.url).pathname;
const HTTP_GATES = ['error-rate', 'error-ratio', 'slow-requests', 'recent-5xx'];

/** Runs the demo's entry point with `--loki fake` as a user would, and collects what it prints. */
function runDemo(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', DEMO, '--loki', 'fake'], {
      env: { ...process.env, SENTRA_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 280_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** `name verdict …` pieces of one narrated tick, by gate name. */
function verdicts(tick: string): Record<string, string> {
  const gates = tick.replace(/^.*?(ROLLBACK|HOLD|ADVANCE|COMPLETE)\s+/, '').split(' | ');
  return Object.fromEntries(gates.map((g) => g.split(' ').slice(0, 2) as [string, string]));
}

test('with --loki fake, a candidate whose answers all succeed is rolled back on its logs alone, naming the new error', async () => {
  const { code, output } = await runDemo();
  assert.equal(code, 0, output);
  assert.match(
    output,
    /^Loki: none runs on this machine, so a stand-in that follows Loki's documented HTTP API .*http:\/\/127\.0\.0\.1:\d+/m
  );
  assert.match(output, /rollout 1: v1 → v2 completed after/);
  assert.match(output, /rollout 2: v2 → v3 rolled back after/);

  const rollback = /^\[rollout 3\] step 1\/4 5% → 0%\s+ROLLBACK .*$/m.exec(output);
  assert.ok(rollback, output);
  const judged = verdicts(rollback[0]);
  assert.equal(judged['new-errors'], 'fail', rollback[0]);
  for (const gate of HTTP_GATES) {
    assert.ok(judged[gate] !== undefined, `${gate} is judged`);
    assert.notEqual(judged[gate], 'fail', `${gate} on rollout 3: ${rollback[0]}`);
  }
  assert.doesNotMatch(output, /^\[rollout 3\].* (ADVANCE|COMPLETE) /m);

  const third = output.slice(output.indexOf('  rollout 3: v2 → v4'));
  assert.match(third, /^ {2}rollout 3: v2 → v4 rolled back after [\d.]+s$/m);
  const gatesLine = /^ {4}gates: (.*)$/m.exec(third)?.[1] ?? '';
  assert.match(gatesLine, /new-errors fail/);
  for (const gate of HTTP_GATES) assert.doesNotMatch(gatesLine, new RegExp(`(^| )${gate} fail`));
  const reason = /^ {4}reason: (.*)$/m.exec(third)?.[1] ?? '';
  assert.match(
    reason,
    /^new-errors fail: new error on the canary, never written by the baseline: "[^"]*IllegalStateException: inventory cache for sku <num> not warmed[^"]*" \d+ times; example: /
  );
  assert.match(reason, /example: \{.*"version":"v4".*inventory cache for sku \d{5} not warmed/);
});
