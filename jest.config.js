// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');

// The scaffold's transform covers .js/.jsx/.ts/.tsx only; some of Grafana's
// dependencies (d3-color among them) ship `.mjs` files with `export` in them.
const [, swcTransform] = Object.entries(base.transform)[0];

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  transform: {
    ...base.transform,
    '^.+\\.mjs$': swcTransform,
  },
  // `yaml` hands jsdom its ES module build.
  transformIgnorePatterns: [nodeModulesToTransform([...grafanaESModules, 'yaml'])],
};
