import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import type { Config } from './config.ts';
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
  let started;
  try {
    started = await boot(config);
  } catch (error) {
    // A store, bus or address that cannot be used is the operator's to fix: say what failed, without a stack.
    process.stderr.write(`sentra: cannot start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const { deps, app, address } = started;
  deps.logger.info(
    { address, store: deps.store.kind, bus: deps.bus.kind, providers: Object.keys(deps.providers) },
    'sentra started'
  );

  const stop = (signal: string) => {
    deps.logger.info({ signal }, 'sentra stopping');
    app.close().then(
      () => process.exit(0),
      () => process.exit(1)
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

async function boot(config: Config) {
  const { deps, start, close } = await createDeps(config);
  const { app } = await buildApp({ deps, apiToken: config.apiToken, onReady: start, onClose: close });
  try {
    const address = await app.listen({ host: config.host, port: config.port });
    return { deps, app, address };
  } catch (error) {
    await app.close();
    throw new Error(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`, { cause: error });
  }
}

void main();
