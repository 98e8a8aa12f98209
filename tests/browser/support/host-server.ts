import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * Plays Grafana's server for the built plugin: serves the host page and the
 * plugin's dist/ under public/plugins/<id>/, keeps the app's settings (the
 * token never leaves the server), forwards /api/plugin-proxy/<id>/... the way
 * plugin.json's routes say (URL and headers filled from the settings, the
 * signed-in user sent as X-Grafana-User as with `send_user_header`), and
 * offers Grafana's annotations API to the backend.
 */

interface Route {
  path: string;
  method?: string;
  url: string;
  reqRole?: string;
  headers?: Array<{ name: string; content: string }>;
}

export interface HostOptions {
  distDir: string;
  /** Grafana's icon files, as @grafana/ui ships them. */
  iconsDir: string;
  pluginJson: { id: string; routes: Route[] };
  script: string;
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
  user: { login: string; role: 'Viewer' | 'Editor' | 'Admin' };
  /** The token the backend must present to the annotations API. */
  grafanaToken: string;
}

export interface Annotation {
  id: number;
  time: number;
  timeEnd?: number;
  tags: string[];
  text: string;
  [key: string]: unknown;
}

export interface HostServer {
  url: string;
  /** Changes the app's jsonData, as saving the configuration page would. */
  configure(jsonData: Record<string, unknown>): void;
  annotations: Annotation[];
  proxied: Array<{ method: string; path: string; status: number }>;
  close(): Promise<void>;
}

const ROLES = ['Viewer', 'Editor', 'Admin'];
/** Hop-by-hop headers, the browser's credentials and the body's framing are not passed on, as with Grafana's proxy. */
const NOT_FORWARDED = [
  'host',
  'cookie',
  'authorization',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'expect',
  'upgrade',
  'accept-encoding',
];
const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.md': 'text/markdown',
};

export async function startHostServer(options: HostOptions): Promise<HostServer> {
  const settings = {
    enabled: true,
    pinned: true,
    jsonData: { ...options.jsonData },
    secureJsonData: { ...options.secureJsonData },
  };
  const annotations: Annotation[] = [];
  const proxied: HostServer['proxied'] = [];
  const pluginPrefix = `/public/plugins/${options.pluginJson.id}/`;
  const proxyPrefix = `/api/plugin-proxy/${options.pluginJson.id}`;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    const handle = async () => {
      if (url.pathname === '/host.js') {
        return send(res, 200, options.script, 'text/javascript');
      }
      if (url.pathname.startsWith(pluginPrefix)) {
        return serveFile(res, options.distDir, url.pathname.slice(pluginPrefix.length));
      }
      if (url.pathname.startsWith('/public/build/img/icons/')) {
        return serveFile(res, options.iconsDir, url.pathname.slice('/public/build/img/icons/'.length));
      }
      if (url.pathname.startsWith('/public/')) {
        return send(res, 404, 'not part of this host', 'text/plain');
      }
      if (url.pathname === `/api/plugins/${options.pluginJson.id}/settings`) {
        return pluginSettings(req, res, settings);
      }
      if (url.pathname.startsWith(`${proxyPrefix}/`)) {
        return proxy(req, res, url, url.pathname.slice(proxyPrefix.length), options, settings, proxied);
      }
      if (url.pathname.startsWith('/api/annotations')) {
        return annotationsApi(req, res, url, options.grafanaToken, annotations);
      }
      return send(res, 200, PAGE, 'text/html');
    };
    handle().catch((error: Error) => send(res, 500, JSON.stringify({ message: error.message }), 'application/json'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    configure: (jsonData) => Object.assign(settings.jsonData, jsonData),
    annotations,
    proxied,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Grafana</title><style>body { margin: 0 }</style></head>
<body><div id="root"></div><script src="/host.js"></script></body></html>`;

function send(res: http.ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function serveFile(res: http.ServerResponse, root: string, relative: string): Promise<void> {
  const file = path.resolve(root, decodeURIComponent(relative));
  if (!file.startsWith(path.resolve(root) + path.sep)) {
    return send(res, 403, 'outside the plugin', 'text/plain');
  }
  try {
    send(res, 200, await readFile(file), TYPES[path.extname(file)] ?? 'application/octet-stream');
  } catch {
    send(res, 404, 'not found', 'text/plain');
  }
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

type Settings = {
  enabled: boolean;
  pinned: boolean;
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
};

/** GET answers which secrets are set, never their values; POST stores what it is given. */
async function pluginSettings(req: http.IncomingMessage, res: http.ServerResponse, settings: Settings): Promise<void> {
  if (req.method === 'POST') {
    const body = JSON.parse((await readBody(req)).toString() || '{}');
    settings.enabled = body.enabled ?? settings.enabled;
    settings.pinned = body.pinned ?? settings.pinned;
    settings.jsonData = body.jsonData ?? settings.jsonData;
    Object.assign(settings.secureJsonData, body.secureJsonData ?? {});
    return send(res, 200, JSON.stringify({ message: 'Plugin settings updated' }), 'application/json');
  }
  const secureJsonFields = Object.fromEntries(Object.keys(settings.secureJsonData).map((k) => [k, true]));
  const answer = { enabled: settings.enabled, pinned: settings.pinned, jsonData: settings.jsonData, secureJsonFields };
  send(res, 200, JSON.stringify(answer), 'application/json');
}

/** Fills `{{ .JsonData.x }}` and `{{ .SecureJsonData.x }}`, the template words plugin.json uses. */
export function fillRouteTemplate(text: string, settings: Pick<Settings, 'jsonData' | 'secureJsonData'>): string {
  return text.replace(/\{\{\s*\.(JsonData|SecureJsonData)\.(\w+)\s*\}\}/g, (_, scope: string, key: string) => {
    const value = scope === 'JsonData' ? settings.jsonData[key] : settings.secureJsonData[key];
    return value === undefined ? '' : String(value);
  });
}

async function proxy(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  proxyPath: string,
  options: HostOptions,
  settings: Settings,
  log: HostServer['proxied']
): Promise<void> {
  const method = req.method ?? 'GET';
  const trimmed = proxyPath.replace(/^\/+/, '');
  const route = options.pluginJson.routes.find(
    (r) =>
      (trimmed === r.path || trimmed.startsWith(`${r.path}/`)) && (!r.method || r.method === '*' || r.method === method)
  );
  if (!route) {
    return send(res, 404, JSON.stringify({ message: 'Plugin route not found' }), 'application/json');
  }
  if (route.reqRole && ROLES.indexOf(options.user.role) < ROLES.indexOf(route.reqRole)) {
    return send(res, 403, JSON.stringify({ message: 'plugin proxy route access denied' }), 'application/json');
  }
  const target = new URL(fillRouteTemplate(route.url, settings));
  target.pathname = `${target.pathname.replace(/\/$/, '')}/${trimmed.slice(route.path.length).replace(/^\//, '')}`;
  target.search = url.search;

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string' && !NOT_FORWARDED.includes(name)) {
      headers[name] = value;
    }
  }
  headers['x-grafana-user'] = options.user.login;
  for (const header of route.headers ?? []) {
    headers[header.name.toLowerCase()] = fillRouteTemplate(header.content, settings);
  }
  const body = method === 'GET' || method === 'HEAD' ? undefined : new Uint8Array(await readBody(req));

  const abort = new AbortController();
  res.on('close', () => abort.abort());
  let answer: Response;
  try {
    answer = await fetch(target, { method, headers, body, signal: abort.signal });
  } catch (error) {
    log.push({ method, path: proxyPath, status: 502 });
    return send(res, 502, JSON.stringify({ message: `Bad Gateway: ${(error as Error).message}` }), 'application/json');
  }
  log.push({ method, path: proxyPath, status: answer.status });
  const text = Buffer.from(await answer.arrayBuffer());
  send(res, answer.status, text, answer.headers.get('content-type') ?? 'application/json');
}

/** Grafana's organization annotations API: create, find by tags and time, patch. */
async function annotationsApi(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  token: string,
  annotations: Annotation[]
): Promise<void> {
  if (req.headers.authorization !== `Bearer ${token}`) {
    return send(res, 401, JSON.stringify({ message: 'Unauthorized' }), 'application/json');
  }
  const json = (status: number, body: unknown) => send(res, status, JSON.stringify(body), 'application/json');
  const id = Number(url.pathname.split('/')[3]);
  if (req.method === 'POST' && url.pathname === '/api/annotations') {
    const body = JSON.parse((await readBody(req)).toString());
    const created = { ...body, id: annotations.length + 1, tags: body.tags ?? [], time: body.time ?? Date.now() };
    annotations.push(created);
    return json(200, { message: 'Annotation added', id: created.id });
  }
  if (req.method === 'PATCH' && Number.isInteger(id)) {
    const found = annotations.find((a) => a.id === id);
    if (!found) {
      return json(404, { message: 'Annotation not found' });
    }
    Object.assign(found, JSON.parse((await readBody(req)).toString()));
    return json(200, { message: 'Annotation patched' });
  }
  if (req.method === 'GET' && url.pathname === '/api/annotations') {
    const tags = url.searchParams.getAll('tags');
    const from = Number(url.searchParams.get('from') ?? -Infinity);
    const to = Number(url.searchParams.get('to') ?? Infinity);
    const found = annotations.filter(
      (a) => tags.every((t) => a.tags.includes(t)) && a.time <= to && (a.timeEnd ?? a.time) >= from
    );
    return json(200, found.slice(0, Number(url.searchParams.get('limit') ?? 100)));
  }
  json(404, { message: 'Not found' });
}
