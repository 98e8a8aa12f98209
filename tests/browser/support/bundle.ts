import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../host/entry.tsx', import.meta.url));

/**
 * The host page's script: the same React, @grafana/* and rxjs the plugin was
 * built against, bundled for the browser, with an AMD loader for the plugin.
 */
export async function bundleHost(): Promise<string> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    loader: {
      '.css': 'empty',
      '.svg': 'dataurl',
      '.woff': 'empty',
      '.woff2': 'empty',
      '.ttf': 'empty',
      '.png': 'dataurl',
    },
    logLevel: 'error',
  });
  return result.outputFiles[0]!.text;
}
