import type { Gate } from '../api/types';
import { exploreUrl, fillTemplate } from './explore';

const rollout = { service: 'checkout', canary: 'v2' };
const window = { from: 1000, to: 31_000 };

function panesOf(url: string | null) {
  return JSON.parse(new URL(url!, 'http://grafana').searchParams.get('panes')!).sentra;
}

describe('exploreUrl', () => {
  test('opens a Loki gate’s query on its data source over the judged window', () => {
    const gate = {
      name: 'logs',
      kind: 'query',
      provider: 'loki',
      datasourceUid: 'loki-1',
      query: 'sum(count_over_time({app="$service",version="$version"} |= "error" [$window]))',
      op: '<',
      threshold: 5,
    } as unknown as Gate;
    const pane = panesOf(exploreUrl(gate, rollout, window));
    expect(pane.datasource).toBe('loki-1');
    expect(pane.queries).toEqual([
      {
        refId: 'A',
        datasource: { uid: 'loki-1' },
        expr: 'sum(count_over_time({app="checkout",version="v2"} |= "error" [30s]))',
      },
    ]);
    expect(pane.range).toEqual({ from: '1000', to: '31000' });
  });

  test('sends TraceQL to Tempo as a query, not an expression', () => {
    const gate = {
      name: 't',
      kind: 'query',
      provider: 'tempo',
      datasourceUid: 'tempo-1',
      query: '{ resource.service.name = "$service" }',
      op: '<',
      threshold: 1,
    } as unknown as Gate;
    expect(panesOf(exploreUrl(gate, rollout, window)).queries[0]).toMatchObject({
      queryType: 'traceql',
      query: '{ resource.service.name = "checkout" }',
    });
  });

  test('offers both counters of an error gate', () => {
    const gate = {
      name: 'e',
      kind: 'error-ratio',
      provider: 'prometheus',
      datasourceUid: 'p',
      max: 0.01,
      query: { requests: 'sum(rate(req{version="$version"}[1m]))', errors: 'sum(rate(err{version="$version"}[1m]))' },
    } as unknown as Gate;
    expect(panesOf(exploreUrl(gate, rollout, window)).queries.map((q: { expr: string }) => q.expr)).toEqual([
      'sum(rate(err{version="v2"}[1m]))',
      'sum(rate(req{version="v2"}[1m]))',
    ]);
  });

  test('has no link for gates without a data source or a query', () => {
    expect(
      exploreUrl({ name: 'e', kind: 'error-rate', provider: 'router' } as unknown as Gate, rollout, window)
    ).toBeNull();
    expect(
      exploreUrl(
        { name: 'e', kind: 'error-rate', provider: 'prometheus', datasourceUid: 'p' } as unknown as Gate,
        rollout,
        window
      )
    ).toBeNull();
  });

  test('leaves unknown template words as they are', () => {
    expect(fillTemplate('$service $other', { service: 'a' })).toBe('a $other');
  });
});
