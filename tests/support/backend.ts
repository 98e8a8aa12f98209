import pino from 'pino';

import { buildApp } from '../../backend/src/app.ts';
import type { SentraApp } from '../../backend/src/app.ts';
import { loadConfig } from '../../backend/src/config.ts';
import type { LoopDeps } from '../../backend/src/loop/deps.ts';
import { createDeps } from '../../backend/src/wiring.ts';
import { FakeClock } from './domain.ts';
import type { Harness } from './router-harness.ts';
import { startHarness } from './router-harness.ts';

export const TOKEN = 'test-token-0123456789abcdef';

export interface TestBackend extends SentraApp {
  deps: LoopDeps;
  clock: FakeClock;
  router: Harness;
  /** An authorized JSON request through fastify's inject. */
  call(
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>
  ): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/**
 * The whole backend on an embedded store, in front of a real built-in router
 * with a demo service per version. The loop does not run on its own: tests
 * call `loop.tick(id)` and move the fake clock.
 */
export async function startTestBackend(
  versions: Parameters<typeof startHarness>[0] = { v1: {}, v2: {} },
  env: Record<string, string> = {}
): Promise<TestBackend> {
  const router = await startHarness(versions, { service: 'checkout' });
  const clock = new FakeClock(Date.now());
  const config = loadConfig({
    SENTRA_API_TOKEN: TOKEN,
    SENTRA_STORE_URL: 'sqlite::memory:',
    SENTRA_ROUTER_URL: router.address.adminUrl,
    ...env,
  });
  const { deps, start, close } = await createDeps(config, { logger: pino({ level: 'silent' }), clock: clock.read });
  const built = await buildApp({ deps, apiToken: TOKEN, runLoop: false, onReady: start, onClose: close });
  await built.app.ready();
  return {
    ...built,
    deps,
    clock,
    router,
    async call(method, url, body, headers = {}) {
      const response = await built.app.inject({
        method: method as 'GET',
        url,
        headers: {
          authorization: `Bearer ${TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return { status: response.statusCode, body: response.body ? safeJson(response.body) : null };
    },
    async close() {
      await built.app.close();
      await router.close();
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
