import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';

import { parse } from 'yaml';

/**
 * Checks docker-compose.yml and the files it uses without a Docker engine:
 * everything it mounts or runs exists, ports and addresses agree with what
 * each service listens on, and the provisioning files name the data source
 * uids and plugin ids that Sentra relies on. Values are read the way Compose
 * reads them with no .env file: `${NAME:-default}` becomes its default.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Service {
  image: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: unknown;
  network_mode?: string;
  working_dir?: string;
}

const compose = interpolate(parse(read('docker-compose.yml'), { merge: true })) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const env = (name: string) => services[name]!.environment ?? {};

/** Files the stack mounts that a build makes rather than the repository holds. */
const BUILD_OUTPUTS: Record<string, string> = { dist: 'the Grafana app, built by `npm run build`' };

/** Ports the official images listen on when not told otherwise. */
const IMAGE_PORTS: Record<string, number[]> = { mysql: [3306], redis: [6379] };

const PLUGIN_DIR = '/var/lib/grafana/plugins/ashsan-sentra-app';
const PROVISIONING_DIR = '/etc/grafana/provisioning';
const UIDS = { prometheus: 'sentra-prometheus', loki: 'sentra-loki', tempo: 'sentra-tempo' } as const;

describe('docker-compose.yml', () => {
  it('mounts only files and folders that exist in the repository (or that the plugin build makes)', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const mount of binds(service)) {
        if (BUILD_OUTPUTS[mount.source]) {
          assert.equal(
            mount.target,
            PLUGIN_DIR,
            `${name}: ${mount.source} (${BUILD_OUTPUTS[mount.source]}) is the plugin folder`
          );
          continue;
        }
        assert.ok(existsSync(join(ROOT, mount.source)), `${name} mounts ${mount.source}, which does not exist`);
      }
    }
  });

  it('runs entry points that exist, from where the checkout is mounted', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const started = [];
    for (const [name, service] of Object.entries(services)) {
      const line = (service.command ?? []).join(' ');
      const files = [...line.matchAll(/\bnode ([\w./-]+\.ts)\b/g)].map((m) => m[1]!);
      for (const npmScript of line.matchAll(/\bnpm (?:run )?(start|\S+)\b/g)) {
        const script = scripts[npmScript[1]!];
        if (npmScript[1] === 'ci') continue;
        assert.ok(script, `${name} runs npm ${npmScript[1]}, which package.json does not define`);
        files.push(...[...script.matchAll(/\bnode ([\w./-]+\.ts)\b/g)].map((m) => m[1]!));
      }
      for (const file of files) {
        assert.ok(existsSync(join(ROOT, file)), `${name} runs ${file}, which does not exist`);
        assert.ok(mountsFile(service, file), `${name} runs ${file} but does not mount it at ${service.working_dir}`);
        started.push(file);
      }
    }
    assert.ok(started.includes('backend/src/router/main.ts'));
    assert.ok(started.includes('backend/src/demo/service-main.ts'));
    assert.ok(started.includes('backend/src/demo/load-main.ts'));
  });

  it('publishes each host port once, to a port the service listens on, and only on loopback', () => {
    const hostPorts = new Set<string>();
    for (const [name, service] of Object.entries(services)) {
      for (const spec of service.ports ?? []) {
        const { host, hostPort, containerPort } = publishedPort(spec);
        assert.equal(host, '127.0.0.1', `${name} publishes ${spec} beyond loopback`);
        assert.ok(!hostPorts.has(hostPort), `host port ${hostPort} is published twice`);
        hostPorts.add(hostPort);
        assert.ok(
          listenPorts(name).has(containerPort),
          `${name} publishes ${containerPort}, but listens on ${[...listenPorts(name)]}`
        );
      }
    }
    assert.ok(hostPorts.has('3000'), 'Grafana is published');
  });

  it('points every address at a service that listens there', () => {
    const addresses: { from: string; url: string }[] = [];
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        for (const match of String(value).matchAll(/\b(?:https?|mysql|redis):\/\/(?:[^@/\s]+@)?[\w.-]+:\d+/g)) {
          addresses.push({ from: `${name} ${key}`, url: match[0] });
        }
      }
    }
    const prometheus = parse(read('deploy/compose/prometheus.yml')) as PrometheusConfig;
    for (const job of prometheus.scrape_configs) {
      for (const target of job.static_configs.flatMap((c) => c.targets)) {
        addresses.push({ from: `prometheus job ${job.job_name}`, url: `http://${target}` });
      }
    }

    assert.ok(addresses.length >= 15, 'the addresses were found');
    for (const { from, url } of addresses) {
      const { hostname, port } = new URL(url);
      const owner = hostname === '127.0.0.1' ? loopbackOwner(from.split(' ')[0]!) : hostname;
      assert.ok(services[owner], `${from}: ${url} names no service`);
      assert.ok(listenPorts(owner).has(Number(port)), `${from}: ${owner} does not listen on ${port}`);
    }
  });

  it('has every depends_on name a service, and waits for health only where a health check exists', () => {
    const conditions = ['service_started', 'service_healthy', 'service_completed_successfully'];
    for (const [name, service] of Object.entries(services)) {
      const deps = Array.isArray(service.depends_on)
        ? Object.fromEntries(service.depends_on.map((d) => [d, { condition: 'service_started' }]))
        : (service.depends_on ?? {});
      for (const [dep, { condition }] of Object.entries(deps)) {
        assert.ok(services[dep], `${name} depends on ${dep}, which is not a service`);
        assert.ok(conditions.includes(condition), `${name}: unknown condition ${condition}`);
        if (condition === 'service_healthy')
          assert.ok(services[dep]!.healthcheck, `${name} waits for ${dep} to be healthy, but it has no health check`);
      }
    }
  });

  it('gives the backend every setting it needs, consistent with the services it talks to', () => {
    const backend = env('backend');
    for (const key of [
      'SENTRA_API_TOKEN',
      'SENTRA_STORE_URL',
      'SENTRA_REDIS_URL',
      'SENTRA_PROMETHEUS_URL',
      'SENTRA_LOKI_URL',
      'SENTRA_TEMPO_URL',
      'SENTRA_GRAFANA_URL',
      'SENTRA_ROUTER_URL',
    ]) {
      assert.ok(backend[key], `backend: ${key} is not set`);
    }
    assert.ok(backend.SENTRA_API_TOKEN!.length >= 16, 'the API token has the length the backend requires');
    assert.equal(backend.SENTRA_HOST, '0.0.0.0', 'the backend listens beyond its container');
    assert.equal(
      backend.SENTRA_API_TOKEN,
      env('grafana').SENTRA_API_TOKEN,
      'Grafana provisions the token the backend expects'
    );
    assert.equal(
      backend.SENTRA_ROUTER_TOKEN,
      env('router').SENTRA_ROUTER_TOKEN,
      'the backend has the router admin token'
    );

    const store = new URL(backend.SENTRA_STORE_URL!);
    const mysql = env('mysql');
    assert.equal(store.protocol, 'mysql:');
    assert.deepEqual(
      [store.username, store.password, store.pathname],
      [mysql.MYSQL_USER, mysql.MYSQL_PASSWORD, `/${mysql.MYSQL_DATABASE}`]
    );
  });

  it('gives the backend a Grafana token: its own setting, else the file the token job writes', () => {
    const backend = services.backend!;
    assert.ok('SENTRA_GRAFANA_TOKEN' in env('backend'));
    const line = (backend.command ?? []).join(' ');
    const file = env('grafana-token').TOKEN_FILE!;
    assert.match(line, new RegExp(`cat ${file}`));
    const shared = (s: Service) =>
      (s.volumes ?? []).find((v) => v.split(':')[1] === file.slice(0, file.lastIndexOf('/')));
    assert.ok(shared(backend) && shared(services['grafana-token']!), 'both mount the folder of the token file');
    const deps = backend.depends_on as Record<string, { condition: string }>;
    assert.deepEqual(
      deps['grafana-token'],
      { condition: 'service_completed_successfully' },
      'the backend starts after the token is written'
    );
  });

  it('runs Grafana 13.1 with the unsigned Sentra app allowed and the provisioning mounted', () => {
    const grafana = services.grafana!;
    assert.match(grafana.image, /^grafana\/grafana:13\.1\.\d+$/);
    const pkg = JSON.parse(read('package.json')) as { dependencies?: Record<string, string> };
    const sdk = pkg.dependencies?.['@grafana/data'];
    if (sdk)
      assert.equal(sdk.replace(/^\D*/, '').split('.').slice(0, 2).join('.'), '13.1', 'the image matches @grafana/*');

    const allowed = env('grafana').GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS!.split(',');
    assert.ok(allowed.includes('ashsan-sentra-app') && allowed.includes('ashsan-sentra-panel'));
    assert.ok(binds(grafana).some((m) => m.source === 'provisioning' && m.target === PROVISIONING_DIR));
    assert.ok(binds(grafana).some((m) => m.source === 'dist' && m.target === PLUGIN_DIR));
  });
});

describe('provisioning', () => {
  it('enables the Sentra app with its backend URL and token from variables Grafana has', () => {
    const file = parse(read('provisioning/plugins/sentra.yaml')) as { apps: Record<string, any>[] };
    const app = file.apps.find((a) => a.type === 'ashsan-sentra-app');
    assert.ok(app, 'ashsan-sentra-app is provisioned');
    assert.equal(app.disabled, false);
    assert.match(app.jsonData.backendUrl, /^\$\{\w+\}$/);
    assert.match(app.secureJsonData.apiToken, /^\$\{\w+\}$/);
    assert.equal(expand(app.jsonData.backendUrl), `http://backend:${env('backend').SENTRA_PORT}`);

    // The app's own plugin.json, once the app is in the tree: same id, and its
    // proxy routes read exactly the settings provisioned here.
    if (existsSync(join(ROOT, 'src/plugin.json'))) {
      const plugin = JSON.parse(read('src/plugin.json')) as {
        id: string;
        routes?: { url: string; headers?: { content: string }[] }[];
      };
      assert.equal(plugin.id, 'ashsan-sentra-app');
      for (const route of plugin.routes ?? []) {
        assert.match(route.url, /\.JsonData\.backendUrl\b/);
        assert.ok(route.headers?.some((h) => /\.SecureJsonData\.apiToken\b/.test(h.content)));
      }
    }
  });

  it('provisions Prometheus, Loki and Tempo under their fixed uids', () => {
    const file = parse(read('provisioning/datasources/sentra.yaml')) as { datasources: Record<string, string>[] };
    for (const [type, uid] of Object.entries(UIDS)) {
      const source = file.datasources.find((d) => d.uid === uid);
      assert.equal(source?.type, type, `${uid} is a ${type} data source`);
      const url = new URL(expand(source.url!));
      assert.ok(listenPorts(url.hostname).has(Number(url.port)), `${uid} points at ${url.host}, where nothing listens`);
    }
  });

  it('uses only variables that Grafana is given', () => {
    for (const path of ['plugins/sentra.yaml', 'datasources/sentra.yaml', 'dashboards/sentra.yaml']) {
      for (const match of read(`provisioning/${path}`).matchAll(/\$\{(\w+)\}|\$(\w+)/g)) {
        const name = match[1] ?? match[2]!;
        assert.ok(env('grafana')[name], `provisioning/${path} uses ${name}, which Grafana's environment does not set`);
      }
    }
  });

  it('loads dashboards from where the provisioning folder is mounted', () => {
    const file = parse(read('provisioning/dashboards/sentra.yaml')) as { providers: { options: { path: string } }[] };
    assert.equal(file.providers[0]!.options.path, `${PROVISIONING_DIR}/dashboards`);
  });

  it("shows the demo's traffic by version, the Sentra panel and Sentra's annotations", () => {
    const dashboard = JSON.parse(read('provisioning/dashboards/demo.json')) as Dashboard;
    const panel = dashboard.panels.find((p) => p.type === 'ashsan-sentra-panel');
    assert.deepEqual(panel?.options, { service: 'demo' });

    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    assert.ok(exprs.some((e) => /sum by \(version\) \(rate\(sentra_router_requests_total\{service="demo"\}/.test(e)));
    for (const ref of dashboard.panels.flatMap((p) => [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)])) {
      if (ref) assert.equal(ref.uid, UIDS.prometheus);
    }

    const sentra = dashboard.annotations.list.find((a) => a.target?.type === 'tags');
    assert.equal(sentra?.datasource.type, 'grafana');
    assert.ok(sentra?.target?.tags.includes('sentra'));
  });

  it('has PromQL that Prometheus parses', () => {
    const dashboard = JSON.parse(read('provisioning/dashboards/demo.json')) as Dashboard;
    const exprs = dashboard.panels
      .flatMap((p) => p.targets ?? [])
      .map((t) => t.expr.replaceAll('$__rate_interval', '5s'));
    const rules = {
      groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }],
    };
    const dir = mkdtempSync(join(tmpdir(), 'sentra-promql-'));
    try {
      writeFileSync(join(dir, 'rules.json'), JSON.stringify(rules));
      const out = promtool(['check', 'rules', join(dir, 'rules.json')]);
      assert.match(out, new RegExp(`SUCCESS: ${exprs.length} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/compose configs', () => {
  it('scrapes the router and the backend every second, with a config Prometheus accepts', () => {
    const config = parse(read('deploy/compose/prometheus.yml')) as PrometheusConfig;
    const jobs = Object.fromEntries(config.scrape_configs.map((j) => [j.job_name, j]));
    for (const [job, target] of [
      ['sentra-router', 'router'],
      ['sentra-backend', 'backend'],
    ] as const) {
      assert.equal(jobs[job]?.scrape_interval, '1s');
      assert.ok(jobs[job]!.static_configs[0]!.targets[0]!.startsWith(`${target}:`));
    }
    assert.match(promtool(['check', 'config', join(ROOT, 'deploy/compose/prometheus.yml')]), /SUCCESS/);
  });

  it('configures Loki and Tempo to listen where the stack expects them', () => {
    const loki = parse(read('deploy/compose/loki.yaml')) as { server: { http_listen_port: number } };
    const tempo = parse(read('deploy/compose/tempo.yaml')) as { server: { http_listen_port: number } };
    assert.equal(loki.server.http_listen_port, 3100);
    assert.equal(tempo.server.http_listen_port, 3200);
  });
});

// ---------------------------------------------------------------------------

interface PrometheusConfig {
  scrape_configs: { job_name: string; scrape_interval?: string; static_configs: { targets: string[] }[] }[];
}

interface Dashboard {
  panels: {
    type: string;
    options?: unknown;
    datasource?: { uid: string };
    targets?: { expr: string; datasource?: { uid: string } }[];
  }[];
  annotations: { list: { datasource: { type: string }; target?: { type: string; tags: string[] } }[] };
}

/** Compose's variable syntax, read with an empty environment: defaults apply, `$$` is a literal `$`. */
function interpolate(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\$|\$\{(\w+)(?::?[-?]([^}]*))?\}/g, (whole, _name, fallback: string | undefined) =>
      whole === '$$' ? '$' : (fallback ?? '')
    );
  }
  if (Array.isArray(value)) return value.map(interpolate);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v)]));
  }
  return value;
}

/** A provisioning value with Grafana's environment filled in. */
function expand(value: string): string {
  return value.replace(/\$\{(\w+)\}/g, (_whole, name: string) => env('grafana')[name] ?? '');
}

function binds(service: Service): { source: string; target: string }[] {
  return (service.volumes ?? [])
    .filter((v) => v.startsWith('.'))
    .map((v) => {
      const [source, target] = v.split(':') as [string, string];
      return { source: source.replace(/^\.\/?/, '') || '.', target };
    });
}

function mountsFile(service: Service, file: string): boolean {
  const inside = `${service.working_dir}/${file}`;
  return binds(service).some((m) => {
    const source = m.source === '.' ? '' : m.source;
    return inside === m.target || (source === '' && inside.startsWith(`${m.target}/`)) || inside === `${m.target}`;
  });
}

function publishedPort(spec: string): { host: string; hostPort: string; containerPort: number } {
  const parts = spec.split(':');
  assert.equal(parts.length, 3, `${spec}: publish as host-ip:host-port:container-port`);
  return { host: parts[0]!, hostPort: parts[1]!, containerPort: Number(parts[2]!.split('/')[0]) };
}

/** What a service listens on: its port settings, its --listen flags, its config file, or its image's default. */
function listenPorts(name: string): Set<number> {
  const service = services[name];
  if (!service) return new Set();
  const ports = new Set<number>();
  for (const [key, value] of Object.entries(service.environment ?? {})) {
    if (/_PORT$/.test(key)) ports.add(Number(value));
  }
  const command = service.command ?? [];
  for (const arg of command) {
    const flag = /^--web\.listen-address=.*:(\d+)$/.exec(arg);
    if (flag) ports.add(Number(flag[1]));
  }
  const configFlag = command.map((arg) => /^-config\.file=(.+)$/.exec(arg)?.[1]).find(Boolean);
  if (configFlag) {
    const mount = binds(service).find((m) => m.target === configFlag);
    assert.ok(mount, `${name}: its config file ${configFlag} is not mounted`);
    const config = parse(read(mount.source)) as {
      server?: { http_listen_port?: number };
      distributor?: { receivers?: { otlp?: { protocols?: Record<string, { endpoint?: string }> } } };
    };
    if (config.server?.http_listen_port) ports.add(config.server.http_listen_port);
    // Tempo's OTLP receivers (gRPC and HTTP) listen on the endpoints its config names.
    for (const protocol of Object.values(config.distributor?.receivers?.otlp?.protocols ?? {})) {
      const port = /:(\d+)$/.exec(protocol.endpoint ?? '')?.[1];
      if (port) ports.add(Number(port));
    }
  }
  for (const port of IMAGE_PORTS[service.image.split(':')[0]!] ?? []) ports.add(port);
  return ports;
}

/** A loopback address means the service itself, or the one whose network it shares. */
function loopbackOwner(name: string): string {
  const mode = services[name]?.network_mode;
  return mode?.startsWith('service:') ? mode.slice('service:'.length) : name;
}

function promtool(args: string[]): string {
  try {
    return execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') assert.fail('promtool is needed (Debian package prometheus)');
    assert.fail(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
