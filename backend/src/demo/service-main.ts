import { number, port, run, text } from '../cli.ts';
import { startDemoService } from './service.ts';

/**
 * One version of the demo service as a process. Settings: SENTRA_DEMO_VERSION
 * (required), SENTRA_DEMO_SERVICE (demo), SENTRA_DEMO_HOST (127.0.0.1),
 * SENTRA_DEMO_PORT (8081), and its starting faults SENTRA_DEMO_ERROR_RATIO
 * (0 to 1), SENTRA_DEMO_LATENCY_MS and SENTRA_DEMO_LATENCY_JITTER_MS (0 to
 * 60000); change the faults while it runs with `PUT /knobs`. Its own
 * Prometheus metrics are on `GET /metrics`.
 */
run('sentra demo service', async () => {
  const env = process.env;
  const millis = { min: 0, max: 60_000 };
  const service = await startDemoService({
    version: text(env, 'SENTRA_DEMO_VERSION'),
    service: text(env, 'SENTRA_DEMO_SERVICE', 'demo'),
    host: text(env, 'SENTRA_DEMO_HOST', '127.0.0.1'),
    port: port(env, 'SENTRA_DEMO_PORT', 8081),
    errorRatio: number(env, 'SENTRA_DEMO_ERROR_RATIO', 0, { min: 0, max: 1 }),
    latencyMs: number(env, 'SENTRA_DEMO_LATENCY_MS', 0, millis),
    latencyJitterMs: number(env, 'SENTRA_DEMO_LATENCY_JITTER_MS', 0, millis),
  });
  console.log(`demo service ${service.version} listening on ${service.url}`);
  return () => service.close();
});
