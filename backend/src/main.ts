import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createDeps } from './wiring.ts';

/**
 * `npm start`: the Sentra backend, configured from the environment. Refuses
 * to start without SENTRA_API_TOKEN.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`sentra: ${error.message}\n`);
    process.exit(2);
  }
  const { deps, start, close } = await createDeps(config);
  const { app } = await buildApp({ deps, apiToken: config.apiToken, onReady: start, onClose: close });
  const address = await app.listen({ host: config.host, port: config.port });
  deps.logger.info({ address, store: deps.store.kind, bus: deps.bus.kind, providers: Object.keys(deps.providers) }, 'sentra started');

  const stop = (signal: string) => {
    deps.logger.info({ signal }, 'sentra stopping');
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

void main();
