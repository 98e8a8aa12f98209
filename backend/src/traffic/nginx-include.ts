import type { HeaderRoute } from '../domain/policy.ts';
import type { RoutingState } from '../domain/rollout.ts';
import type { NginxTraffic } from '../domain/traffic-config.ts';
import { integerSplit, shareOf } from './common.ts';
import { TrafficError } from './types.ts';

/** The first line of every include file Sentra writes; a file without it is never overwritten. */
export const INCLUDE_MARK = '# Managed by Sentra: rewritten on every traffic change, edits here are lost.';

/** Words nginx's `map` reads as parameters rather than values unless escaped. */
const MAP_KEYWORDS = new Set(['default', 'hostnames', 'include', 'volatile']);

/**
 * The include file for a routing state. Upstream `<u>` splits by server
 * weight (a server at weight 0 is left out, since nginx weights start at 1);
 * `<u>_canary` holds the canary alone for the header route; the variable
 * `$<u>_upstream` names the upstream a request goes to.
 */
export function renderInclude(config: NginxTraffic, service: string, state: RoutingState): string {
  const u = config.upstream;
  const split = integerSplit(state.weight);
  const extra = config.serverParameters === undefined ? '' : ` ${config.serverParameters}`;
  const servers = [
    [config.baselineServer, split.baseline],
    [config.canaryServer, split.canary],
  ] as const;
  const lines = [INCLUDE_MARK, `# service: ${service.replace(/[^\w.-]/g, '_')}`, `upstream ${u} {`];
  for (const [address, weight] of servers) {
    if (weight > 0) lines.push(`    server ${address} weight=${weight}${extra};`);
  }
  lines.push('}');

  if (state.headerRoute === null) {
    lines.push(`map "" $${u}_upstream {`, `    default ${u};`, '}');
  } else {
    lines.push(`upstream ${u}_canary {`, `    server ${config.canaryServer}${extra};`, '}');
    lines.push(`map $${headerVariable(state.headerRoute.header)} $${u}_upstream {`);
    lines.push(`    ${quoteMapValue(state.headerRoute.value)} ${u}_canary;`, `    default ${u};`, '}');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The routing state an include file puts in force, read from its upstream
 * and map blocks (not from any comment).
 */
export function parseInclude(config: NginxTraffic, text: string): RoutingState {
  const u = config.upstream;
  const block = new RegExp(`^upstream ${u} \\{\\n([^}]*)\\}`, 'm').exec(text);
  if (!block) throw new TrafficError('nginx', `${config.includeFile} has no upstream ${u}`);
  const weights = new Map<string, number>();
  for (const line of block[1]!.matchAll(/^\s*server (\S+) weight=([0-9]+)[^;]*;$/gm)) {
    weights.set(line[1]!, Number(line[2]));
  }
  const weight = shareOf(weights.get(config.baselineServer) ?? 0, weights.get(config.canaryServer) ?? 0);
  if (weight === null) throw new TrafficError('nginx', `upstream ${u} in ${config.includeFile} has neither server`);

  const map = new RegExp(
    `^map \\$http_([a-z0-9_]+) \\$${u}_upstream \\{\\n\\s*("(?:[^"\\\\]|\\\\.)*") ${u}_canary;`,
    'm'
  ).exec(text);
  const headerRoute: HeaderRoute | null = map
    ? { header: map[1]!.replace(/_/g, '-'), value: unquoteMapValue(map[2]!) }
    : null;
  return { weight, headerRoute };
}

/** nginx exposes header `X-Canary` as `$http_x_canary`. */
function headerVariable(header: string): string {
  return `http_${header.toLowerCase().replace(/-/g, '_')}`;
}

/**
 * A map value is matched literally once quoted, except that a leading '~'
 * makes a regular expression and a few words are parameters; a leading
 * backslash turns both back into plain text.
 */
function quoteMapValue(value: string): string {
  const literal = value.startsWith('~') || value.startsWith('\\') || MAP_KEYWORDS.has(value) ? `\\${value}` : value;
  return `"${literal.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function unquoteMapValue(quoted: string): string {
  const literal = quoted.slice(1, -1).replace(/\\(["\\])/g, '$1');
  return literal.startsWith('\\') ? literal.slice(1) : literal;
}
