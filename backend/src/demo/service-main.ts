import { SettingError, number, port, run, text } from '../cli.ts';
import { DEFAULT_ERROR_LOG_MESSAGE, startDemoService } from './service.ts';

/**
 * One version of the demo service as a process. Settings: SENTRA_DEMO_VERSION
 * (required), SENTRA_DEMO_SERVICE (demo), SENTRA_DEMO_HOST (127.0.0.1),
 * SENTRA_DEMO_PORT (8081), and its starting faults SENTRA_DEMO_ERROR_RATIO
 * (0 to 1), SENTRA_DEMO_LATENCY_MS and SENTRA_DEMO_LATENCY_JITTER_MS (0 to
 * 60000), SENTRA_DEMO_ERROR_LOG_RATIO (0 to 1) and SENTRA_DEMO_ERROR_LOG_MESSAGE
 * (`{id}` in it becomes a number); change the faults while it runs with
 * `PUT /knobs`. Telemetry, both optional: SENTRA_DEMO_LOKI_URL (and
 * SENTRA_DEMO_LOKI_TENANT) pushes the log lines to Loki as well as standard
 * output; SENTRA_DEMO_OTLP_URL exports a span per request over OTLP/HTTP.
 * Its own Prometheus metrics are on `GET /metrics`.
 */
run('sentra demo service', async () => {
  const env = process.env;
  const millis = { min: 0, max: 60_000 };
  const ratio = { min: 0, max: 1 };
  const lokiUrl = optionalUrl(env, 'SENTRA_DEMO_LOKI_URL');
  const otlpUrl = optionalUrl(env, 'SENTRA_DEMO_OTLP_URL');
  const tenant = env.SENTRA_DEMO_LOKI_TENANT || undefined;
  const service = await startDemoService({
    version: text(env, 'SENTRA_DEMO_VERSION'),
    service: text(env, 'SENTRA_DEMO_SERVICE', 'demo'),
    host: text(env, 'SENTRA_DEMO_HOST', '127.0.0.1'),
    port: port(env, 'SENTRA_DEMO_PORT', 8081),
    errorRatio: number(env, 'SENTRA_DEMO_ERROR_RATIO', 0, ratio),
    latencyMs: number(env, 'SENTRA_DEMO_LATENCY_MS', 0, millis),
    latencyJitterMs: number(env, 'SENTRA_DEMO_LATENCY_JITTER_MS', 0, millis),
    errorLogRatio: number(env, 'SENTRA_DEMO_ERROR_LOG_RATIO', 0, ratio),
    errorLogMessage: text(env, 'SENTRA_DEMO_ERROR_LOG_MESSAGE', DEFAULT_ERROR_LOG_MESSAGE),
    ...(lokiUrl ? { loki: { url: lokiUrl, tenant } } : {}),
    ...(otlpUrl ? { tracing: { url: otlpUrl } } : {}),
  });
  console.log(`demo service ${service.version} listening on ${service.url}`);
  return () => service.close();
});

function optionalUrl(env: NodeJS.ProcessEnv, name: string): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  const parsed = URL.canParse(raw) ? new URL(raw) : null;
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
    throw new SettingError(`${name}: must be an http or https URL, not "${raw}"`);
  }
  return raw;
}
