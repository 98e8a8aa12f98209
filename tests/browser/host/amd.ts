/**
 * A small AMD loader that plays SystemJS's part in Grafana: a plugin's
 * module.js calls `define([...externals], factory)`, and gets the host's own
 * copies of the shared packages by name.
 */
type Factory = (...deps: unknown[]) => unknown;

let externals: Record<string, unknown> = {};
let current: { uri: string; resolve: (exports: unknown) => void; reject: (e: Error) => void } | null = null;

export function provideExternals(modules: Record<string, unknown>): void {
  externals = modules;
}

/** ES module namespaces as webpack's externals expect them: live bindings, marked as ES modules. */
export function asEsModule(namespace: object): unknown {
  return Object.create(namespace, { __esModule: { value: true } });
}

function define(deps: string[], factory: Factory): void {
  const loading = current;
  if (!loading) {
    throw new Error('define() called outside a plugin load');
  }
  try {
    const args = deps.map((name) => {
      if (name === 'module') {
        return { uri: loading.uri };
      }
      if (!(name in externals)) {
        throw new Error(`the host does not provide "${name}"`);
      }
      return externals[name];
    });
    loading.resolve(factory(...args));
  } catch (error) {
    loading.reject(error as Error);
  }
}
(define as unknown as { amd: object }).amd = {};
(window as unknown as { define: typeof define }).define = define;

const loaded = new Map<string, Promise<unknown>>();

/** Loads a plugin's AMD module.js by URL (once) and answers its exports. */
export function loadPluginModule(uri: string): Promise<unknown> {
  const known = loaded.get(uri);
  if (known) {
    return known;
  }
  const promise = new Promise<unknown>((resolve, reject) => {
    current = { uri, resolve, reject };
    const script = document.createElement('script');
    script.src = uri;
    script.onerror = () => reject(new Error(`could not load ${uri}`));
    document.head.appendChild(script);
  }).finally(() => {
    current = null;
  });
  loaded.set(uri, promise);
  return promise;
}
