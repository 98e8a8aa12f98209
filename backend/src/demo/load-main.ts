import { number, run, text } from '../cli.ts';
import { startLoad } from './load.ts';

/**
 * A steady load as a process. Settings: SENTRA_LOAD_URL (required; loopback
 * only), SENTRA_LOAD_RATE (requests per second, 50), SENTRA_LOAD_HOST (a Host
 * header, which the router uses to pick the service), and
 * SENTRA_LOAD_DURATION_S (runs until stopped when unset).
 */
run('sentra load', async () => {
  const env = process.env;
  const host = env.SENTRA_LOAD_HOST;
  const seconds = number(env, 'SENTRA_LOAD_DURATION_S', 0, { min: 0, max: 86_400 });
  const load = startLoad({
    url: text(env, 'SENTRA_LOAD_URL'),
    rate: number(env, 'SENTRA_LOAD_RATE', 50, { min: 0.1, max: 10_000 }),
    ...(host ? { headers: { host } } : {}),
    ...(seconds > 0 ? { durationMs: seconds * 1000 } : {}),
  });
  const report = setInterval(() => console.log(JSON.stringify(load.counts())), 10_000);
  report.unref();
  void load.done.then((counts) => {
    console.log(JSON.stringify(counts));
    process.exit(0);
  });
  return async () => void (await load.stop());
});
