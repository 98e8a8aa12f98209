import { pino } from 'pino';
import Type from 'typebox';

import { json, port, run, SettingError, text } from '../cli.ts';
import { schemaErrors } from '../domain/policy.ts';
import { callAdmin } from './client.ts';
import { createRouter } from './index.ts';
import { RoutingAnswer, ServiceName, UpstreamUrl, UpstreamsAnswer, VersionName } from './schemas.ts';

/**
 * The built-in router as a process. Settings:
 * - SENTRA_ROUTER_HOST (127.0.0.1), SENTRA_ROUTER_PROXY_PORT (8000), SENTRA_ROUTER_ADMIN_PORT (9091);
 * - SENTRA_ROUTER_TOKEN: the admin API's bearer token; the admin API is open without it;
 * - SENTRA_ROUTER_UPSTREAMS: JSON `{ "<service>": { "<version>": "<url>", … } }`. Each service's
 *   traffic starts all on the first version listed (weight 0 towards the second) until a rollout moves it.
 */
const Upstreams = Type.Record(ServiceName, Type.Record(VersionName, UpstreamUrl, { minProperties: 1 }), {
  additionalProperties: false,
});

run('sentra router', async () => {
  const env = process.env;
  const upstreams = json(env, 'SENTRA_ROUTER_UPSTREAMS');
  const problems = schemaErrors(Upstreams, upstreams, '');
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new SettingError(`SENTRA_ROUTER_UPSTREAMS${first.field}: ${first.message}`);
  }
  const token = env.SENTRA_ROUTER_TOKEN || undefined;
  const logger = pino({ level: text(env, 'SENTRA_LOG_LEVEL', 'info') });

  const router = createRouter({ adminToken: token, logger });
  const address = await router.listen({
    host: text(env, 'SENTRA_ROUTER_HOST', '127.0.0.1'),
    proxyPort: port(env, 'SENTRA_ROUTER_PROXY_PORT', 8000),
    adminPort: port(env, 'SENTRA_ROUTER_ADMIN_PORT', 9091),
  });

  const admin = { url: `http://127.0.0.1:${address.adminPort}`, token, timeoutMs: 5000 };
  for (const [service, versions] of Object.entries(upstreams as Type.Static<typeof Upstreams>)) {
    const set = await callAdmin(
      admin,
      { method: 'PUT', path: `/admin/services/${service}/upstreams`, body: { versions } },
      UpstreamsAnswer
    );
    if (!set.ok) throw new Error(`${service}: ${set.reason}`);
    const [baseline, canary] = Object.keys(versions);
    if (baseline === undefined || canary === undefined) continue;
    const routing = { baseline, canary, weight: 0, headerRoute: null };
    const routed = await callAdmin(
      admin,
      { method: 'PUT', path: `/admin/services/${service}/routing`, body: routing },
      RoutingAnswer
    );
    if (!routed.ok) throw new Error(`${service}: ${routed.reason}`);
  }
  return () => router.close();
});
