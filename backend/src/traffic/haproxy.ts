import { parseDuration } from '../domain/duration.ts';
import type { HeaderRoute } from '../domain/policy.ts';
import type { RoutingState } from '../domain/rollout.ts';
import type { HaproxyTraffic } from '../domain/traffic-config.ts';
import type { TrafficLog } from './common.ts';
import {
  changeFields,
  checkDesired,
  configFor,
  integerSplit,
  KeyedQueue,
  shareOf,
  SILENT_LOG,
  TRAFFIC_CHANGED,
} from './common.ts';
import { cliWord, HaproxyRuntime } from './haproxy-runtime.ts';
import type { TrafficController, TrafficTarget } from './types.ts';
import { TrafficError } from './types.ts';

const DEFAULT_TIMEOUT_MS = 5000;
const ENTRY_PREFIX = 'sentra:';

/** The user weights of the two servers as HAProxy holds them; canary null when the backend has no such server. */
interface ServerWeights {
  baseline: number;
  canary: number | null;
}

interface MapEntry {
  id: string;
  key: string;
  value: string;
}

/**
 * HAProxy through its runtime API, without a reload.
 *
 * Weights: `set weight <backend>/<server>` on the two servers, canary w and
 * baseline 100 - w, read back with `show servers state`. The backend must
 * balance with a dynamic algorithm (roundrobin, leastconn, random).
 *
 * Header route: HAProxy cannot add rules at runtime, so the configuration
 * carries one fixed rule that Sentra steers through a map:
 *   use-server <canary> if { req.hdrs,map_reg(<headerMap>) -m found }
 * The map holds at most one entry, Sentra's: a regular expression that
 * matches the header line `<name>: <value>` in the request's headers, with
 * `sentra:<name>:<value>` (URI-encoded) as its value. The map file is
 * Sentra's alone: any other entry in it is removed.
 *
 * Runtime changes do not survive an HAProxy reload; the next tick puts them
 * back, since every tick applies the whole state.
 */
export class HaproxyController implements TrafficController {
  readonly kind = 'haproxy' as const;
  readonly #log: TrafficLog;
  readonly #queue = new KeyedQueue();

  constructor(options: { log?: TrafficLog } = {}) {
    this.#log = options.log ?? SILENT_LOG;
  }

  async apply(target: TrafficTarget, desired: RoutingState): Promise<RoutingState> {
    const config = configFor('haproxy', target);
    checkDesired('haproxy', desired);
    if (desired.headerRoute !== null && config.headerMap === undefined) {
      throw new TrafficError('haproxy', 'a header route needs headerMap in the haproxy traffic settings');
    }
    const key = `${config.socket} ${config.backend}`;
    return this.#queue.run(key, () => this.#apply(target, config, desired));
  }

  async read(target: TrafficTarget): Promise<RoutingState | null> {
    const config = configFor('haproxy', target);
    return readState(runtimeFor(config), config);
  }

  async #apply(target: TrafficTarget, config: HaproxyTraffic, desired: RoutingState): Promise<RoutingState> {
    const api = runtimeFor(config);
    const changed = (change: string) => this.#log.info(changeFields(target, change, desired), TRAFFIC_CHANGED);

    await setWeights(api, config, desired.weight, changed);
    if (config.headerMap !== undefined) await syncHeaderMap(api, config.headerMap, desired.headerRoute, changed);

    return readState(api, config);
  }
}

function runtimeFor(config: HaproxyTraffic): HaproxyRuntime {
  return new HaproxyRuntime(config.socket, config.timeout ? parseDuration(config.timeout) : DEFAULT_TIMEOUT_MS);
}

/**
 * Sets the two weights, raising one before lowering the other so that the
 * backend never has both servers at weight 0 in between.
 */
async function setWeights(
  api: HaproxyRuntime,
  config: HaproxyTraffic,
  weight: number,
  changed: (change: string) => void
): Promise<void> {
  const current = await readWeights(api, config);
  const split = integerSplit(weight);
  if (current.canary === null && split.canary > 0) {
    throw new TrafficError('haproxy', `backend "${config.backend}" has no server "${config.canaryServer}"`);
  }

  const steps: Array<[string, number, number | null]> = [
    [config.canaryServer, split.canary, current.canary],
    [config.baselineServer, split.baseline, current.baseline],
  ];
  if (split.canary < (current.canary ?? 0)) steps.reverse();

  for (const [server, next, now] of steps) {
    if (now === null || now === next) continue;
    await api.change(`set weight ${cliWord(`${config.backend}/${server}`)} ${next}`);
    changed(`set weight ${config.backend}/${server} ${now} -> ${next}`);
  }
}

/** Adds the desired entry when it is missing, then removes every other entry. */
async function syncHeaderMap(
  api: HaproxyRuntime,
  map: string,
  desired: HeaderRoute | null,
  changed: (change: string) => void
): Promise<void> {
  const entries = await readMap(api, map);
  const wanted = desired === null ? null : entryFor(desired);
  const present = entries.find((e) => wanted !== null && e.key === wanted.key && e.value === wanted.value);

  if (wanted !== null && present === undefined) {
    await api.change(`add map ${cliWord(map)} ${cliWord(wanted.key)} ${cliWord(wanted.value)}`);
    changed(`add map ${map} ${wanted.value}`);
  }
  for (const entry of entries) {
    if (entry === present) continue;
    await api.change(`del map ${cliWord(map)} #${entry.id}`);
    changed(`del map ${map} ${entry.value}`);
  }
}

async function readState(api: HaproxyRuntime, config: HaproxyTraffic): Promise<RoutingState> {
  const weights = await readWeights(api, config);
  const weight = shareOf(weights.baseline, weights.canary ?? 0);
  if (weight === null) {
    throw new TrafficError('haproxy', `both servers of backend "${config.backend}" are at weight 0: nothing is served`);
  }
  const headerRoute =
    config.headerMap === undefined ? null : routeIn(await readMap(api, config.headerMap), config.headerMap);
  return { weight, headerRoute };
}

async function readWeights(api: HaproxyRuntime, config: HaproxyTraffic): Promise<ServerWeights> {
  const answer = await api.command(`show servers state ${cliWord(config.backend)}`);
  const lines = answer
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const header = lines.find((l) => l.startsWith('# '));
  if (header === undefined) {
    throw new TrafficError('haproxy', `cannot read the servers of backend "${config.backend}": ${answer.trim()}`);
  }
  const columns = header.slice(2).split(' ');
  const at = (name: string) => columns.indexOf(name);
  const rows = lines.filter((l) => !l.startsWith('#')).map((l) => l.split(' '));
  const weightOf = (server: string): number | null => {
    const row = rows.find((r) => r[at('be_name')] === config.backend && r[at('srv_name')] === server);
    return row === undefined ? null : Number(row[at('srv_uweight')]);
  };

  const baseline = weightOf(config.baselineServer);
  if (baseline === null || Number.isNaN(baseline)) {
    throw new TrafficError('haproxy', `backend "${config.backend}" has no server "${config.baselineServer}"`);
  }
  return { baseline, canary: weightOf(config.canaryServer) };
}

async function readMap(api: HaproxyRuntime, map: string): Promise<MapEntry[]> {
  const answer = await api.command(`show map ${cliWord(map)}`);
  const lines = answer
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const entries = lines.map((line) => /^(0x[0-9a-f]+) (\S+) (\S+)$/.exec(line));
  if (entries.some((e) => e === null)) {
    throw new TrafficError(
      'haproxy',
      `cannot read map ${map} (is it loaded by a map_reg in the configuration?): ${answer.trim()}`
    );
  }
  return entries.map((e) => ({ id: e![1]!, key: e![2]!, value: e![3]! }));
}

/** The header route in force: the one entry Sentra wrote, with a key that matches its value. */
function routeIn(entries: MapEntry[], map: string): HeaderRoute | null {
  if (entries.length === 0) return null;
  const route = entries.length === 1 ? routeOfEntry(entries[0]!) : null;
  if (route === null) {
    throw new TrafficError('haproxy', `map ${map} holds entries Sentra did not write (${entries.length} in all)`);
  }
  return route;
}

function routeOfEntry(entry: MapEntry): HeaderRoute | null {
  const match = /^sentra:([^:]+):(.+)$/.exec(entry.value);
  if (!match) return null;
  try {
    const route = { header: decodeURIComponent(match[1]!), value: decodeURIComponent(match[2]!) };
    return entryFor(route).key === entry.key ? route : null;
  } catch {
    return null;
  }
}

/**
 * HAProxy gives rules the request's headers as `name: value` lines, names in
 * lower case. The key matches one whole line; every byte of the value but
 * letters and digits is written as \xHH, so the key holds no space, no ';'
 * and nothing a regular expression would read as an operator.
 */
export function entryFor(route: HeaderRoute): { key: string; value: string } {
  const value = [...Buffer.from(route.value, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, '0')}`
    )
    .join('');
  const name = route.header.toLowerCase();
  return {
    key: `(^|\\n)${name}:[\\x20\\t]*${value}[\\x20\\t]*\\r\\n`,
    value: `${ENTRY_PREFIX}${encodeURIComponent(name)}:${encodeURIComponent(route.value)}`,
  };
}
