import { promises as fs } from 'node:fs';
import path from 'node:path';

import type { NginxTraffic } from '../domain/traffic-config.ts';

/**
 * nginx's worker processes as Linux's /proc shows them, to tell when a
 * reload has really taken effect.
 *
 * `nginx -s reload` returns once the signal is sent. The master then starts
 * new workers on the new file and, about a tenth of a second later, tells
 * the old ones to stop taking requests; until then the old workers still
 * route by the old file. A reload has taken effect once every worker that
 * ran before it has exited or is shutting down (it then only finishes the
 * requests it holds).
 */

const POLL_MS = 10;

/** The running master's pid, from the pid file the main configuration names; null when it cannot be found. */
export async function nginxMaster(config: NginxTraffic): Promise<number | null> {
  let main: string;
  try {
    main = await fs.readFile(config.mainConfig, 'utf8');
  } catch {
    return null;
  }
  // `pid` is a main-context directive, so any uncommented `pid` line is the one.
  const directive = /^[ \t]*pid[ \t]+([^;\s#]+)[ \t]*;/m.exec(main);
  if (directive === null) return null;
  // A relative path is nginx's prefix's; without `prefix` that is compiled into nginx and unknown here.
  const named = directive[1]!;
  if (!path.isAbsolute(named) && config.prefix === undefined) return null;
  const file = path.resolve(config.prefix ?? '/', named);
  try {
    const pid = Number((await fs.readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The master's child processes; null when /proc cannot tell (not Linux, or the master is gone). */
export async function nginxChildren(master: number): Promise<Set<number> | null> {
  try {
    const text = await fs.readFile(`/proc/${master}/task/${master}/children`, 'utf8');
    return new Set(text.trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return null;
  }
}

/** Whether a process has exited, or is an nginx worker that stopped taking requests. */
async function retired(pid: number): Promise<boolean> {
  try {
    const title = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return title === '' || title.includes('shutting down');
  } catch {
    return true;
  }
}

/**
 * Waits until none of `before` (the master's children before the reload)
 * takes new requests. Answers false when that has not happened within
 * `timeoutMs`.
 */
export async function waitForRetired(before: Set<number>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let waiting = [...before];
  while (waiting.length > 0) {
    const states = await Promise.all(waiting.map(retired));
    waiting = waiting.filter((_, i) => !states[i]);
    if (waiting.length === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}
