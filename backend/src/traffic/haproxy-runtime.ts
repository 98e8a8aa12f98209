import net from 'node:net';

import { TrafficError } from './types.ts';

/** Where a runtime API listens: a unix socket path, or a TCP host and port. */
export type RuntimeAddress = { path: string } | { host: string; port: number };

/** `/run/haproxy/admin.sock`, `127.0.0.1:9999` or `[::1]:9999`. */
export function parseRuntimeAddress(socket: string): RuntimeAddress {
  if (socket.startsWith('/')) return { path: socket };
  const match = /^\[?([^\]]+?)\]?:([0-9]{1,5})$/.exec(socket);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) {
    throw new TrafficError('haproxy', `socket "${socket}" is neither an absolute path nor host:port`);
  }
  return { host: match[1]!, port };
}

/**
 * Escapes one argument of a runtime API command line: HAProxy splits words
 * on spaces, ends a command at ';' and reads a backslash as an escape, so
 * each of those is preceded by a backslash.
 */
export function cliWord(word: string): string {
  return word.replace(/[\\ ;]/g, (c) => `\\${c}`);
}

/**
 * One HAProxy runtime API (its stats socket, at level admin). Each command
 * opens a connection in non-interactive mode: the command is written, the
 * answer is read until HAProxy closes the connection.
 */
export class HaproxyRuntime {
  readonly #address: RuntimeAddress;
  readonly #label: string;
  readonly #timeoutMs: number;

  constructor(socket: string, timeoutMs: number) {
    this.#address = parseRuntimeAddress(socket);
    this.#label = socket;
    this.#timeoutMs = timeoutMs;
  }

  command(line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const connection = net.connect(this.#address as net.NetConnectOpts);
      const fail = (reason: string) => {
        connection.destroy();
        reject(new TrafficError('haproxy', `runtime API at ${this.#label}: ${reason} (command: ${line})`));
      };
      const timer = setTimeout(() => fail(`no answer within ${this.#timeoutMs} ms`), this.#timeoutMs);
      connection.on('connect', () => connection.end(`${line}\n`));
      connection.on('data', (chunk: Buffer) => chunks.push(chunk));
      connection.on('error', (error) => {
        clearTimeout(timer);
        fail(error.message);
      });
      connection.on('close', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
  }

  /** Runs a command that answers nothing when it succeeds; any text is HAProxy's refusal. */
  async change(line: string): Promise<void> {
    const answer = (await this.command(line)).trim();
    if (answer !== '') throw new TrafficError('haproxy', `HAProxy refused "${line}": ${answer}`);
  }
}
