import { execFile } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';

import { parseDuration } from '../domain/duration.ts';
import type { RoutingState } from '../domain/rollout.ts';
import type { NginxTraffic } from '../domain/traffic-config.ts';
import type { TrafficLog } from './common.ts';
import { changeFields, checkDesired, configFor, KeyedQueue, reasonOf, SILENT_LOG, TRAFFIC_CHANGED } from './common.ts';
import { INCLUDE_MARK, parseInclude, renderInclude } from './nginx-include.ts';
import { nginxChildren, nginxMaster, waitForRetired } from './nginx-workers.ts';
import type { TrafficController, TrafficTarget } from './types.ts';
import { TrafficError } from './types.ts';

const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_NGINX_BINARY = '/usr/sbin/nginx';

export interface NginxControllerOptions {
  /** The nginx executable; a backend setting, never a policy's. */
  binary?: string;
  log?: TrafficLog;
}

/**
 * NGINX through one include file and a graceful reload.
 *
 * Each change is written beside the include file, swapped in with a rename,
 * and checked with `nginx -t` against the whole main configuration; when
 * nginx refuses it, the previous file is put back and nothing is reloaded,
 * so the running configuration never sees it. Only then `nginx -s reload`
 * asks the master to start new workers on the new file; old workers finish
 * their requests. `apply` returns once the old workers have stopped taking
 * requests, when the master's pid file and /proc let it tell (see
 * nginx-workers.ts); otherwise as soon as nginx took the signal.
 *
 * What is in force is read back from the include file. A reload that nginx
 * accepts here but the master then fails (say, a port it cannot bind) leaves
 * the old workers serving while the file says otherwise; nginx's error log
 * is the only place that tells.
 */
export class NginxController implements TrafficController {
  readonly kind = 'nginx' as const;
  readonly #binary: string;
  readonly #log: TrafficLog;
  readonly #queue = new KeyedQueue();

  constructor(options: NginxControllerOptions = {}) {
    this.#binary = options.binary ?? DEFAULT_NGINX_BINARY;
    this.#log = options.log ?? SILENT_LOG;
  }

  async apply(target: TrafficTarget, desired: RoutingState): Promise<RoutingState> {
    const config = configFor('nginx', target);
    checkDesired('nginx', desired);
    if (config.baselineServer === config.canaryServer) {
      throw new TrafficError('nginx', 'baselineServer and canaryServer are the same address');
    }
    return this.#queue.run(config.includeFile, () => this.#apply(target, config, desired));
  }

  async read(target: TrafficTarget): Promise<RoutingState | null> {
    const config = configFor('nginx', target);
    const current = await readOwnInclude(config);
    return current === null ? null : parseInclude(config, current);
  }

  async #apply(target: TrafficTarget, config: NginxTraffic, desired: RoutingState): Promise<RoutingState> {
    const current = await readOwnInclude(config);
    const next = renderInclude(config, target.service, desired);
    if (next === current) return parseInclude(config, next);

    try {
      await this.#swapIn(config, current, next);
    } catch (error) {
      if (error instanceof TrafficError) throw error;
      throw new TrafficError('nginx', `cannot replace ${config.includeFile}: ${reasonOf(error)}`, { cause: error });
    }
    this.#log.info(changeFields(target, `rewrote ${config.includeFile} and reloaded nginx`, desired), TRAFFIC_CHANGED);
    return parseInclude(config, next);
  }

  /**
   * Order matters: the new file is complete on disk before it takes the
   * include's name (a rename replaces it whole), and the old one is kept
   * until nginx has accepted the new one.
   */
  async #swapIn(config: NginxTraffic, current: string | null, next: string): Promise<void> {
    const fresh = `${config.includeFile}.sentra-new`;
    const previous = `${config.includeFile}.sentra-previous`;
    await writeDurably(fresh, next);
    if (current !== null) await fs.copyFile(config.includeFile, previous);
    await fs.rename(fresh, config.includeFile);

    const restore = async () => {
      if (current !== null) await fs.rename(previous, config.includeFile);
      else await fs.rm(config.includeFile, { force: true });
    };
    let workers: Set<number> | null = null;
    try {
      await this.#nginx(config, ['-t'], 'nginx -t refused the new configuration; the old one stays in force');
      // Read just before the signal: these are the workers still on the old file.
      const master = await nginxMaster(config);
      workers = master === null ? null : await nginxChildren(master);
      await this.#nginx(
        config,
        ['-s', 'reload'],
        'nginx did not take the reload signal; the old configuration stays in force'
      );
    } catch (error) {
      await restore();
      throw error;
    }
    await fs.rm(previous, { force: true });
    if (workers !== null) await this.#awaitReload(config, workers);
  }

  /** The reload is under way and the file stays: only the confirmation is missing when this fails. */
  async #awaitReload(config: NginxTraffic, workers: Set<number>): Promise<void> {
    const timeout = config.timeout ? parseDuration(config.timeout) : DEFAULT_TIMEOUT_MS;
    if (await waitForRetired(workers, timeout)) return;
    throw new TrafficError(
      'nginx',
      `nginx took the reload signal, but its old workers still took requests after ${timeout} ms; see its error log`
    );
  }

  #nginx(config: NginxTraffic, args: string[], failure: string): Promise<void> {
    const timeout = config.timeout ? parseDuration(config.timeout) : DEFAULT_TIMEOUT_MS;
    const all = [...args, '-c', config.mainConfig, ...(config.prefix ? ['-p', config.prefix] : [])];
    return new Promise((resolve, reject) => {
      execFile(this.#binary, all, { timeout, encoding: 'utf8' }, (error, _stdout, stderr) => {
        if (error === null) return resolve();
        const said = stderr.trim() || error.message;
        reject(new TrafficError('nginx', `${failure}: ${said}`, { cause: error }));
      });
    });
  }
}

/** The include file's text; null when there is none yet; refused when Sentra did not write it. */
async function readOwnInclude(config: NginxTraffic): Promise<string | null> {
  let text: string;
  try {
    text = await fs.readFile(config.includeFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new TrafficError('nginx', `cannot read ${config.includeFile}: ${(error as Error).message}`, { cause: error });
  }
  if (!text.startsWith(INCLUDE_MARK)) {
    throw new TrafficError('nginx', `${config.includeFile} was not written by Sentra; it is left alone`);
  }
  return text;
}

async function writeDurably(path: string, text: string): Promise<void> {
  const handle = await fs.open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}
