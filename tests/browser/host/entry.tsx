import './boot';

import * as React from 'react';
import { useEffect, useState, type ReactNode } from 'react';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as JsxRuntime from 'react/jsx-runtime';
import * as EmotionCss from '@emotion/css';
import * as GrafanaData from '@grafana/data';
import {
  createTheme,
  dateTime,
  getDefaultTimeRange,
  LoadingState,
  PluginType,
  ThemeContext,
  type AppPlugin,
  type PanelPlugin,
} from '@grafana/data';
import * as GrafanaRuntime from '@grafana/runtime';
import { setBackendSrv, type PluginPageProps } from '@grafana/runtime';
import * as GrafanaUI from '@grafana/ui';
import { GlobalStyles, Icon, Stack, Text } from '@grafana/ui';
import * as ReactRouter from 'react-router';
import { BrowserRouter, Link, Route, Routes, useLocation } from 'react-router-dom';
import * as Rxjs from 'rxjs';

// Grafana sets its page chrome into @grafana/runtime at start; the public
// entry point does not export the setter, so the host reaches the module itself.
// @ts-expect-error: a file of the package, not one of its declared entry points
import { setPluginPage } from '../../../node_modules/@grafana/runtime/dist/esm/components/PluginPage.mjs';

import { asEsModule, loadPluginModule, provideExternals } from './amd';
import { createBackendSrv } from './backendSrv';

const APP_ID = 'ashsan-sentra-app';
const APP_BASE = `/public/plugins/${APP_ID}`;
const theme = createTheme({ colors: { mode: 'dark' } });

setBackendSrv(createBackendSrv());
setPluginPage(HostPluginPage);
provideExternals({
  react: asEsModule(React),
  'react-dom': asEsModule(ReactDOM),
  'react/jsx-runtime': asEsModule(JsxRuntime),
  '@emotion/css': asEsModule(EmotionCss),
  '@grafana/data': asEsModule(GrafanaData),
  '@grafana/ui': asEsModule(GrafanaUI),
  '@grafana/runtime': asEsModule(GrafanaRuntime),
  'react-router': asEsModule(ReactRouter),
  rxjs: asEsModule(Rxjs),
});

interface Settings {
  enabled: boolean;
  pinned: boolean;
  jsonData: Record<string, unknown>;
  secureJsonFields: Record<string, boolean>;
}

async function loadSettings(): Promise<Settings> {
  const response = await fetch(`/api/plugins/${APP_ID}/settings`);
  return response.json();
}

function appMeta(settings: Settings) {
  return {
    id: APP_ID,
    name: 'Sentra',
    type: PluginType.app,
    module: `${APP_BASE}/module.js`,
    baseUrl: APP_BASE,
    info: {
      author: { name: 'Ashsan' },
      description: '',
      links: [],
      logos: { small: '', large: '' },
      screenshots: [],
      updated: '',
      version: '',
    },
    ...settings,
  };
}

const NAV = [
  { text: 'Rollouts', url: `/a/${APP_ID}/rollouts` },
  { text: 'Start a rollout', url: `/a/${APP_ID}/start` },
  { text: 'Policies', url: `/a/${APP_ID}/policies` },
  { text: 'Configuration', url: `/plugins/${APP_ID}` },
];

/** Grafana's page chrome, reduced: breadcrumb, title, actions, then the page. */
function HostPluginPage({ pageNav, actions, info, subTitle, children }: PluginPageProps) {
  const location = useLocation();
  const section = NAV.find((n) => location.pathname.startsWith(n.url)) ?? NAV[0]!;
  const title = pageNav?.text ?? section.text;
  return (
    <div style={{ padding: theme.spacing(2, 3) }}>
      <Text color="secondary" variant="bodySmall">
        Apps › Sentra › {section.text}
        {pageNav && pageNav.text !== section.text ? ` › ${pageNav.text}` : ''}
      </Text>
      <Stack justifyContent="space-between" alignItems="center">
        <Text element="h1" variant="h2">
          {title}
        </Text>
        <div>{actions}</div>
      </Stack>
      {info && (
        <Stack gap={2}>
          {info.map((i) => (
            <Text key={i.label} color="secondary">
              {i.label}: {i.value}
            </Text>
          ))}
        </Stack>
      )}
      {subTitle && <Text color="secondary">{subTitle}</Text>}
      <div style={{ marginTop: theme.spacing(2) }}>{children}</div>
    </div>
  );
}

function Shell({ children }: { children: ReactNode }) {
  const location = useLocation();
  return (
    <div style={{ display: 'flex', minHeight: '100vh', background: theme.colors.background.canvas }}>
      <nav
        style={{
          width: 220,
          padding: theme.spacing(2),
          borderRight: `1px solid ${theme.colors.border.weak}`,
          background: theme.colors.background.primary,
        }}
      >
        <Stack direction="column" gap={1}>
          <Text weight="bold">
            <Icon name="grafana" /> Sentra
          </Text>
          {NAV.map((n) => (
            <Link
              key={n.url}
              to={n.url}
              style={{
                color: location.pathname.startsWith(n.url) ? theme.colors.text.primary : theme.colors.text.secondary,
              }}
            >
              {n.text}
            </Link>
          ))}
        </Stack>
      </nav>
      <main style={{ flex: 1, minWidth: 0 }}>{children}</main>
    </div>
  );
}

function usePlugin<T>(uri: string): T | null {
  const [plugin, setPlugin] = useState<T | null>(null);
  useEffect(() => {
    loadPluginModule(uri).then((exports) => setPlugin((exports as { plugin: T }).plugin));
  }, [uri]);
  return plugin;
}

function AppRootHost({ settings }: { settings: Settings }) {
  const plugin = usePlugin<AppPlugin>(`${APP_BASE}/module.js`);
  const location = useLocation();
  if (!plugin?.root) {
    return <div data-testid="host-loading">Loading the app…</div>;
  }
  const Root = plugin.root;
  const meta = appMeta(settings);
  plugin.meta = meta as never;
  return (
    <Root
      meta={meta as never}
      basename={`/a/${APP_ID}`}
      path={location.pathname}
      query={{}}
      onNavChanged={() => undefined}
    />
  );
}

function ConfigHost({ settings }: { settings: Settings }) {
  const plugin = usePlugin<AppPlugin>(`${APP_BASE}/module.js`);
  if (!plugin?.configPages?.[0]) {
    return <div data-testid="host-loading">Loading the app…</div>;
  }
  const Body = plugin.configPages[0].body;
  const meta = appMeta(settings);
  plugin.meta = meta as never;
  return (
    <HostPluginPage pageNav={{ text: 'Configuration' }}>
      <Body plugin={plugin} query={{}} />
    </HostPluginPage>
  );
}

/** One dashboard panel of the bundled panel plugin, sized like a panel. */
function PanelHost() {
  const plugin = usePlugin<PanelPlugin>(`${APP_BASE}/panels/rollout-status/module.js`);
  const service = new URLSearchParams(useLocation().search).get('service') ?? '';
  if (!plugin?.panel) {
    return <div data-testid="host-loading">Loading the panel…</div>;
  }
  const Panel = plugin.panel;
  const range = getDefaultTimeRange();
  return (
    <div style={{ padding: theme.spacing(3) }}>
      <div
        data-testid="panel-frame"
        style={{
          width: 520,
          height: 240,
          background: theme.colors.background.primary,
          border: `1px solid ${theme.colors.border.weak}`,
          borderRadius: 4,
        }}
      >
        <div style={{ padding: theme.spacing(1, 1.5), fontWeight: 500 }}>Rollout of {service || '…'}</div>
        <div style={{ padding: theme.spacing(0, 1.5), height: 196 }}>
          <Panel
            id={1}
            data={{ series: [], state: LoadingState.Done, timeRange: range }}
            timeRange={range}
            timeZone="utc"
            options={{ service }}
            transparent={false}
            width={494}
            height={196}
            fieldConfig={{ defaults: {}, overrides: [] }}
            renderCounter={0}
            title="Rollout"
            eventBus={new GrafanaData.EventBusSrv()}
            onOptionsChange={() => undefined}
            onFieldConfigChange={() => undefined}
            onChangeTimeRange={() => undefined}
            replaceVariables={(text: string) => text}
          />
        </div>
      </div>
    </div>
  );
}

function ExploreHost() {
  const panes = new URLSearchParams(useLocation().search).get('panes');
  return (
    <HostPluginPage pageNav={{ text: 'Explore' }}>
      <pre data-testid="explore-panes">{panes}</pre>
      <Text color="secondary">{dateTime().toISOString()}</Text>
    </HostPluginPage>
  );
}

function Host() {
  const [settings, setSettings] = useState<Settings | null>(null);
  useEffect(() => {
    loadSettings().then(setSettings);
  }, []);
  if (!settings) {
    return null;
  }
  return (
    <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <Shell>
        <Routes>
          <Route path={`/a/${APP_ID}/*`} element={<AppRootHost settings={settings} />} />
          <Route path={`/plugins/${APP_ID}`} element={<ConfigHost settings={settings} />} />
          <Route path="/panel" element={<PanelHost />} />
          <Route path="/explore" element={<ExploreHost />} />
        </Routes>
      </Shell>
    </BrowserRouter>
  );
}

createRoot(document.getElementById('root')!).render(
  <ThemeContext.Provider value={theme}>
    <GlobalStyles />
    <Host />
  </ThemeContext.Provider>
);
