import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import type { HaproxyTraffic, NginxTraffic, TrafficConfig } from '../domain/traffic-config.ts';
import { renderInclude } from '../traffic/nginx-include.ts';

export type ProxyKind = 'haproxy' | 'nginx';

export interface ProxyOptions {
  kind: ProxyKind;
  /** Where the baseline and the canary answer, e.g. http://127.0.0.1:8081. */
  baselineUrl: string;
  canaryUrl: string;
  /** Names the backend (HAProxy) or upstream (NGINX); letters, digits and '_'. */
  service?: string;
  binary?: string;
  /** Extra nginx server parameters, passed into the traffic settings. */
  serverParameters?: string;
}

export interface StartedProxy {
  /** Where requests go, e.g. http://127.0.0.1:40123. */
  proxyUrl: string;
  /** Traffic settings for a policy or rollout that steers this proxy. */
  traffic: TrafficConfig;
  /** The proxy's process id (the nginx master). */
  pid: number;
  /** The temporary directory holding its configuration, sockets and logs. */
  dir: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

/**
 * Starts a real HAProxy or NGINX on a free loopback port in front of two
 * upstreams, with all traffic on the baseline, and the traffic settings that
 * let Sentra steer it. For the demo and for tests; `stop` ends the process
 * and removes its directory.
 */
export async function startProxy(options: ProxyOptions): Promise<StartedProxy> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `sentra-${options.kind}-`));
  const service = options.service ?? 'app';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(service))
    throw new RangeError(`service name "${service}" is not usable here`);
  const baseline = hostPort(options.baselineUrl);
  const canary = hostPort(options.canaryUrl);

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const launch = options.kind === 'haproxy' ? haproxyLaunch : nginxLaunch;
    const { args, traffic } = await launch({ dir, service, baseline, canary, port, options });
    const binary = options.binary ?? (options.kind === 'haproxy' ? '/usr/sbin/haproxy' : '/usr/sbin/nginx');
    const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr = collect(child);
    try {
      await waitForPort(port, child, stderr);
      if (traffic.controller === 'haproxy') await waitForSocket(traffic.socket, child, stderr);
      return { proxyUrl: `http://127.0.0.1:${port}`, traffic, pid: child.pid!, dir, stop: () => stop(child, dir) };
    } catch (error) {
      await stopProcess(child);
      // Another process may have taken the port between choosing and binding it.
      if (attempt < 3 && /Address already in use/i.test(stderr())) continue;
      await fs.rm(dir, { recursive: true, force: true });
      throw error;
    }
  }
}

interface LaunchInput {
  dir: string;
  service: string;
  baseline: string;
  canary: string;
  port: number;
  options: ProxyOptions;
}

async function haproxyLaunch(input: LaunchInput): Promise<{ args: string[]; traffic: HaproxyTraffic }> {
  const { dir, service, baseline, canary, port } = input;
  const socket = path.join(dir, 'admin.sock');
  const headerMap = path.join(dir, `${service}-header.map`);
  const config = [
    'global',
    `    stats socket ${socket} mode 600 level admin`,
    'defaults',
    '    mode http',
    '    timeout connect 2s',
    '    timeout client 30s',
    '    timeout server 30s',
    'frontend sentra_demo',
    `    bind 127.0.0.1:${port}`,
    `    default_backend ${service}`,
    `backend ${service}`,
    '    balance roundrobin',
    `    use-server canary if { req.hdrs,map_reg(${headerMap}) -m found }`,
    `    server baseline ${baseline} weight 100`,
    `    server canary ${canary} weight 0`,
    '',
  ].join('\n');
  await fs.writeFile(headerMap, '');
  await fs.writeFile(path.join(dir, 'haproxy.cfg'), config);
  const traffic: HaproxyTraffic = {
    controller: 'haproxy',
    socket,
    backend: service,
    baselineServer: 'baseline',
    canaryServer: 'canary',
    headerMap,
  };
  return { args: ['-db', '-f', path.join(dir, 'haproxy.cfg')], traffic };
}

async function nginxLaunch(input: LaunchInput): Promise<{ args: string[]; traffic: NginxTraffic }> {
  const { dir, service, baseline, canary, port, options } = input;
  const mainConfig = path.join(dir, 'nginx.conf');
  const traffic: NginxTraffic = {
    controller: 'nginx',
    includeFile: path.join(dir, `sentra-${service}.conf`),
    mainConfig,
    prefix: dir,
    upstream: service,
    baselineServer: baseline,
    canaryServer: canary,
    ...(options.serverParameters === undefined ? {} : { serverParameters: options.serverParameters }),
  };
  const temp = (name: string) => `${name}_temp_path ${path.join(dir, name)};`;
  const config = [
    'daemon off;',
    'master_process on;',
    'worker_processes 2;',
    `pid ${path.join(dir, 'nginx.pid')};`,
    `error_log ${path.join(dir, 'error.log')} notice;`,
    'events { worker_connections 1024; }',
    'http {',
    '    access_log off;',
    `    ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
    `    include ${traffic.includeFile};`,
    '    server {',
    `        listen 127.0.0.1:${port};`,
    '        location / {',
    '            proxy_set_header Host $host;',
    `            proxy_pass http://$${service}_upstream;`,
    '        }',
    '    }',
    '}',
    '',
  ].join('\n');
  await fs.writeFile(mainConfig, config);
  await fs.writeFile(traffic.includeFile, renderInclude(traffic, service, { weight: 0, headerRoute: null }));
  return { args: ['-c', mainConfig, '-p', dir], traffic };
}

/** `host:port` of an http URL, for a server line. */
function hostPort(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' || parsed.port === '') throw new RangeError(`expected http://host:port, got ${url}`);
  return `${parsed.hostname}:${parsed.port}`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function collect(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-8000);
  });
  return () => text;
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  await waitFor(() => connects({ host: '127.0.0.1', port }), child, stderr, `port ${port}`);
}

async function waitForSocket(socket: string, child: ChildProcess, stderr: () => string): Promise<void> {
  await waitFor(() => connects({ path: socket }), child, stderr, socket);
}

async function waitFor(
  probe: () => Promise<boolean>,
  child: ChildProcess,
  stderr: () => string,
  what: string
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the proxy exited before ${what} was ready: ${stderr().trim()}`);
    }
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the proxy did not open ${what} within ${START_TIMEOUT_MS} ms: ${stderr().trim()}`);
}

function connects(address: net.NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(address);
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  await stopProcess(child);
  await fs.rm(dir, { recursive: true, force: true });
}

/** SIGTERM (both proxies stop at once on it), then SIGKILL if it lingers. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
