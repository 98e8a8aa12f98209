/**
 * What Grafana's server writes into its page before its scripts run. The
 * Grafana packages read it when they load, so this module is imported first.
 */
const login = new URLSearchParams(window.location.search).get('user') ?? 'alice';

(window as unknown as { grafanaBootData: unknown }).grafanaBootData = {
  settings: {
    appSubUrl: '',
    appUrl: `${window.location.origin}/`,
    buildInfo: { version: '13.1.0', commit: 'host', env: 'production', edition: 'Open Source' },
    featureToggles: {},
    datasources: {},
    panels: {},
    apps: {},
    bootData: {},
    theme2: { isDark: true },
  },
  user: {
    id: 1,
    uid: 'u1',
    login,
    name: login,
    email: `${login}@example.com`,
    orgId: 1,
    orgName: 'Main Org.',
    orgRole: 'Admin',
    isSignedIn: true,
    isGrafanaAdmin: true,
    theme: 'dark',
    timezone: 'utc',
    locale: 'en-US',
    language: 'en-US',
    permissions: {},
  },
  navTree: [],
  assets: { dark: '', light: '' },
};

// Where Grafana serves its own assets (the icons @grafana/ui draws).
(window as unknown as { __grafana_public_path__: string }).__grafana_public_path__ = '/public/';

export {};
