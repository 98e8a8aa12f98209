import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import type { NginxTraffic } from '../../../backend/src/domain/traffic-config.ts';
import { nginxMaster, waitForRetired } from '../../../backend/src/traffic/nginx-workers.ts';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sentra-nginx-workers-'));
});
after(() => fs.rm(dir, { recursive: true, force: true }));

/** Traffic settings whose main configuration holds `main`. */
async function aConfig(main: string, prefix?: string): Promise<NginxTraffic> {
  const mainConfig = path.join(dir, `nginx-${Math.random().toString(16).slice(2)}.conf`);
  await fs.writeFile(mainConfig, main);
  return {
    controller: 'nginx',
    includeFile: path.join(dir, 'app.conf'),
    mainConfig,
    upstream: 'app',
    baselineServer: '127.0.0.1:1',
    canaryServer: '127.0.0.1:2',
    ...(prefix === undefined ? {} : { prefix }),
  };
}

test('the master pid comes from the pid file named by the main configuration', async () => {
  await fs.writeFile(path.join(dir, 'abs.pid'), '4321\n');
  await fs.writeFile(path.join(dir, 'rel.pid'), '8765\n');

  assert.equal(await nginxMaster(await aConfig(`# pid /elsewhere.pid;\npid ${dir}/abs.pid;\nevents {}\n`)), 4321);
  assert.equal(await nginxMaster(await aConfig('pid rel.pid;\n', dir)), 8765);
});

test('no master pid is claimed when the pid file cannot be found or read', async () => {
  await fs.writeFile(path.join(dir, 'junk.pid'), 'not a pid\n');

  assert.equal(await nginxMaster(await aConfig('events {}\n')), null, 'no pid directive');
  assert.equal(await nginxMaster(await aConfig('pid rel.pid;\n')), null, 'relative path without a prefix');
  assert.equal(await nginxMaster(await aConfig(`pid ${dir}/missing.pid;\n`)), null, 'missing file');
  assert.equal(await nginxMaster(await aConfig(`pid ${dir}/junk.pid;\n`)), null, 'not a number');
  const config = await aConfig('');
  assert.equal(await nginxMaster({ ...config, mainConfig: path.join(dir, 'absent.conf') }), null, 'no main config');
});

test('a process that still runs and is no nginx worker shutting down is waited for until the timeout', async () => {
  assert.equal(await waitForRetired(new Set([process.pid]), 50), false);
});

test('processes that have exited count as retired', async () => {
  // Far above any pid Linux hands out by default, so no process has it.
  assert.equal(await waitForRetired(new Set([2 ** 22 + 17]), 50), true);
  assert.equal(await waitForRetired(new Set(), 50), true);
});
