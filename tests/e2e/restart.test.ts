import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import mysql from 'mysql2/promise';

import { ApiClient } from '../../backend/src/demo/api-client.ts';
import { createStore } from '../../backend/src/store/index.ts';
import { startLoad } from '../../backend/src/demo/load.ts';
import type { Load } from '../../backend/src/demo/load.ts';
import { aPolicy } from '../support/domain.ts';
import type { Harness } from '../support/router-harness.ts';
import { startHarness } from '../support/router-harness.ts';
import { MYSQL_SERVER_URL, REDIS_URL } from '../support/services.ts';

const TOKEN = 'restart-test-token-0123456789';
const MAIN = new URL('../../backend/src/main.ts', import.meta.url).pathname;

interface Backend {
  child: ChildProcess;
  api: ApiClient;
}

/** Starts `npm start`'s entry point as its own process and waits for the address it logs. */
async function startBackend(env: Record<string, string>): Promise<Backend> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN], {
    env: { ...process.env, ...env, SENTRA_API_TOKEN: TOKEN, SENTRA_PORT: '0', SENTRA_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const address = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`backend did not start: ${buffer}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = /"address":"([^"]+)".*"msg":"sentra started"/.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`backend exited with ${code}: ${buffer}`)));
  });
  child.stdout!.resume();
  return { child, api: new ApiClient(address, TOKEN) };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 60_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Setup {
  name: string;
  env(dir: string): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

const embedded: Setup = {
  name: 'on the embedded store',
  env: async (dir) => ({ SENTRA_STORE_URL: `sqlite:${join(dir, 'sentra.db')}` }),
  cleanup: async () => undefined,
};

function onMysqlAndRedis(): Setup {
  const database = `sentra_restart_${randomBytes(4).toString('hex')}`;
  return {
    name: 'on MySQL with the Redis bus',
    async env() {
      const admin = await mysql.createConnection(`${MYSQL_SERVER_URL}/`);
      await admin.query(`CREATE DATABASE ${database}`);
      await admin.end();
      return {
        SENTRA_STORE_URL: `${MYSQL_SERVER_URL}/${database}`,
        SENTRA_REDIS_URL: REDIS_URL,
        SENTRA_REDIS_PREFIX: `${database}:`,
      };
    },
    async cleanup() {
      const admin = await mysql.createConnection(`${MYSQL_SERVER_URL}/`);
      await admin.query(`DROP DATABASE IF EXISTS ${database}`);
      await admin.end();
    },
  };
}

for (const setup of [embedded, onMysqlAndRedis()])
  describe(`a backend killed in the middle of a rollout, ${setup.name}`, () => {
    let dir: string;
    let router: Harness;
    let load: Load;
    const children: ChildProcess[] = [];

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sentra-restart-'));
      router = await startHarness({ v1: { errorRatio: 0 }, v2: { errorRatio: 0 } }, { service: 'checkout' });
      await router.admin('PUT', '/admin/services/checkout/routing', {
        baseline: 'v1',
        canary: 'v2',
        weight: 0,
        headerRoute: null,
      });
      load = startLoad({ url: router.address.proxyUrl, rate: 150, durationMs: 120_000 });
    });

    after(async () => {
      for (const child of children) child.kill('SIGKILL');
      await load.stop();
      await router.close();
      await rm(dir, { recursive: true, force: true });
      await setup.cleanup();
    });

    it('resumes from the stored step, re-applies the stored split first, and neither repeats nor skips a step', async () => {
      const env: Record<string, string> = { ...(await setup.env(dir)), SENTRA_ROUTER_URL: router.address.adminUrl };
      const first = await startBackend(env);
      children.push(first.child);
      const policy = aPolicy({
        name: 'restart',
        steps: [5, 15, 30, 50].map((weight) => ({ weight, minDuration: '3s' })),
        gates: [{ name: 'errors', kind: 'error-rate', provider: 'router', minSamples: 20 }],
        limits: { tickInterval: '500ms', noDataTicks: 20 },
      });
      await first.api.call('POST', '/api/v1/policies', policy);
      const { rollout } = await first.api.call('POST', '/api/v1/rollouts', {
        service: 'checkout',
        baseline: 'v1',
        canary: 'v2',
        policy: 'restart',
      });

      await until('step 2', async () => {
        const detail = await first.api.call('GET', `/api/v1/rollouts/${rollout.id}`);
        return detail.rollout.stepIndex === 1 ? detail : undefined;
      });
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      const store = createStore(env.SENTRA_STORE_URL!);
      const lastBeforeKill = await store.lastEventId();
      await store.close();

      // While the backend is down, the proxy loses its split (as after its own restart).
      await router.admin('PUT', '/admin/services/checkout/routing', {
        baseline: 'v1',
        canary: 'v2',
        weight: 0,
        headerRoute: null,
      });

      const second = await startBackend(env);
      children.push(second.child);
      const routing = await until('the stored split back in force', async () => {
        const answer = await router.admin('GET', '/admin/services/checkout/routing');
        return answer.body.weight > 0 ? answer.body : undefined;
      });
      assert.equal(routing.weight, 15);

      const done = await until('the rollout to complete', async () => {
        const detail = await second.api.call('GET', `/api/v1/rollouts/${rollout.id}`);
        return detail.rollout.phase === 'progressing' ? undefined : detail;
      });
      assert.equal(done.rollout.phase, 'completed');
      assert.deepEqual(
        done.steps.map((s: { weight: number }) => s.weight),
        [5, 15, 30, 50]
      );
      const seqs = done.decisions.map((d: { seq: number }) => d.seq);
      assert.deepEqual(
        seqs,
        seqs.map((_: number, i: number) => i + 1),
        'one decision per tick, none lost or repeated'
      );
      const moves = done.decisions
        .filter((d: { kind: string }) => d.kind !== 'hold')
        .map((d: { kind: string; toWeight: number }) => `${d.kind} ${d.toWeight}`);
      assert.deepEqual(moves, ['advance 15', 'advance 30', 'advance 50', 'complete 100']);

      // After the restart, the stored split was applied before any new decision.
      const { events } = await second.api.call('GET', `/api/v1/events?after=${lastBeforeKill}`);
      const firstEvent = events.find((e: { rolloutId: string }) => e.rolloutId === rollout.id);
      assert.equal(firstEvent.type, 'rollout.applied');
      assert.equal(firstEvent.payload.applied.weight, 15);
    });
  });
