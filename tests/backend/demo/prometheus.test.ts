import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PrometheusStartError, findOnPath, startPrometheus } from '../../../backend/src/demo/prometheus.ts';

test('finds the prometheus binary on PATH', async () => {
  const found = await findOnPath('prometheus');

  assert.ok(found !== null && found.endsWith('/prometheus'), `found ${found}`);
});

test('says clearly that prometheus is missing from PATH and how to get it', async () => {
  const saved = process.env.PATH;
  process.env.PATH = '/nonexistent-sentra-path';
  try {
    await assert.rejects(startPrometheus({ scrapeTargets: ['127.0.0.1:9'] }), (error: unknown) => {
      assert.ok(error instanceof PrometheusStartError);
      assert.match(
        error.message,
        /^prometheus was not found on PATH: install it \(the Debian package is "prometheus"\)/
      );
      return true;
    });
  } finally {
    process.env.PATH = saved;
  }
});

test('reports a binary that cannot be run instead of waiting for it', async () => {
  await assert.rejects(
    startPrometheus({ scrapeTargets: ['127.0.0.1:9'], binary: '/nonexistent-sentra-path/prometheus' }),
    /did not start \(spawn \/nonexistent-sentra-path\/prometheus ENOENT\)/
  );
});

test('names the field of a bad scrape interval or target', async () => {
  await assert.rejects(
    startPrometheus({ scrapeTargets: ['127.0.0.1:9'], scrapeInterval: 'often' }),
    /^PrometheusStartError: scrapeInterval: not a duration: "often"/
  );
  await assert.rejects(
    startPrometheus({ scrapeTargets: ['http://[::1'] }),
    /scrapeTargets: not a host:port or URL: "http:\/\/\[::1"/
  );
});
