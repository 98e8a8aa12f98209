/**
 * What the small command-line entry points share: reading settings from the
 * environment, each checked and named in the error, and a clean stop on
 * SIGINT and SIGTERM. Bad settings stop the process before anything starts.
 */

export class SettingError extends Error {
  override name = 'SettingError';
}

type Env = NodeJS.ProcessEnv;

export function text(env: Env, name: string, fallback?: string): string {
  const value = env[name];
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  throw new SettingError(`${name}: is required`);
}

export function number(
  env: Env,
  name: string,
  fallback: number,
  range: { min: number; max: number; integer?: boolean }
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  const kind = range.integer ? 'an integer' : 'a number';
  if (
    !Number.isFinite(value) ||
    (range.integer && !Number.isInteger(value)) ||
    value < range.min ||
    value > range.max
  ) {
    throw new SettingError(`${name}: must be ${kind} from ${range.min} to ${range.max}, not "${raw}"`);
  }
  return value;
}

export function port(env: Env, name: string, fallback: number): number {
  return number(env, name, fallback, { min: 0, max: 65_535, integer: true });
}

export function json(env: Env, name: string): unknown {
  const raw = text(env, name);
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new SettingError(`${name}: is not JSON (${(error as Error).message})`);
  }
}

/** Runs `start`; a bad setting or a failed start ends the process with a message on standard error. */
export function run(what: string, start: () => Promise<() => Promise<void>>): void {
  start().then(
    (close) => {
      const stop = () => void close().finally(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (error: unknown) => {
      console.error(`${what}: ${(error as Error).message}`);
      process.exit(1);
    }
  );
}
