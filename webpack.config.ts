import CopyWebpackPlugin from 'copy-webpack-plugin';
import type { Configuration } from 'webpack';

import grafanaConfig, { type Env } from './.config/webpack/webpack.config.ts';

/**
 * Grafana's build as generated, plus the nested panel's logo, which the
 * generated copy step (root plugin logos only) leaves out.
 */
const config = async (env: Env): Promise<Configuration> => {
  const base = await grafanaConfig(env);
  return {
    ...base,
    plugins: [
      ...(base.plugins ?? []),
      new CopyWebpackPlugin({ patterns: [{ from: 'panels/*/img/*', to: '[path][name][ext]' }] }),
    ],
  };
};

export default config;
