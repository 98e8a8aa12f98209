import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';

const RUNNER = resolve(import.meta.dirname, '../../grafana-e2e/run.ts');

/** Runs `npm run test:grafana-e2e`'s script with only the given settings; none of these reach Playwright. */
function run(env: Record<string, string>) {
  const result = spawnSync(process.execPath, [RUNNER], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe('the Grafana end-to-end runner', () => {
  it('without GRAFANA_URL, says how to start a Grafana and runs nothing', () => {
    const result = run({});

    assert.equal(result.code, 2);
    assert.match(result.stderr, /^GRAFANA_URL is not set/);
    assert.match(result.stderr, /docker compose up -d/);
    assert.equal(result.stdout, '');
  });

  it('refuses a GRAFANA_URL that is not an http URL, naming it', () => {
    const result = run({ GRAFANA_URL: 'localhost:3000' });

    assert.equal(result.code, 2);
    assert.match(result.stderr, /GRAFANA_URL must be an http\(s\) URL .*not "localhost:3000"/);
  });

  it('refuses to start without a local Chromium rather than downloading one', () => {
    const result = run({ GRAFANA_URL: 'http://127.0.0.1:3000', CHROMIUM_PATH: '/nonexistent/chromium' });

    assert.equal(result.code, 2);
    assert.match(result.stderr, /no Chromium at \/nonexistent\/chromium/);
  });
});
