import fs from 'fs';
import path from 'path';

const root = path.resolve(__dirname, '..');
const read = (file: string) => JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'));

describe('plugin.json', () => {
  test('the copy Grafana’s build reads is the top-level file itself', () => {
    const source = fs.readFileSync(path.join(root, 'plugin.json'), 'utf8');
    const built = fs.readFileSync(path.join(root, 'src/plugin.json'), 'utf8');
    expect(built).toBe(source);
    expect(fs.realpathSync(path.join(root, 'src/plugin.json'))).toBe(fs.realpathSync(path.join(root, 'plugin.json')));
  });

  test('every proxy route sends the stored token and goes to the configured backend', () => {
    const plugin = read('plugin.json');
    expect(plugin.id).toBe('ashsan-sentra-app');
    expect(plugin.routes.map((r: { method: string }) => r.method).sort()).toEqual(['DELETE', 'GET', 'POST', 'PUT']);
    for (const route of plugin.routes) {
      expect(route.path).toBe('sentra');
      expect(route.url).toBe('{{ .JsonData.backendUrl }}');
      expect(route.headers).toContainEqual({ name: 'Authorization', content: 'Bearer {{ .SecureJsonData.apiToken }}' });
      expect(route.reqRole).toBe(route.method === 'GET' ? 'Viewer' : 'Editor');
    }
  });

  test('includes the bundled panel, whose own plugin.json names it', () => {
    const plugin = read('plugin.json');
    const panel = read('src/panels/rollout-status/plugin.json');
    expect(panel).toMatchObject({ type: 'panel', id: 'ashsan-sentra-panel' });
    expect(plugin.includes).toContainEqual({ type: 'panel', name: panel.name });
    expect(panel.dependencies.grafanaDependency).toBe(plugin.dependencies.grafanaDependency);
  });

  test('asks for the Grafana version the @grafana packages come from', () => {
    const pkg = read('package.json');
    const version = pkg.dependencies['@grafana/data'];
    expect(read('plugin.json').dependencies.grafanaDependency).toBe(`>=${version}`);
  });
});
