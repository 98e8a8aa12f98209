import assert from 'node:assert/strict';
import { test } from 'node:test';

import { narrateGate } from '../../../backend/src/demo/narrate.ts';
import { judgeNewErrors } from '../../../backend/src/domain/gates/new-errors.ts';
import type { TemplatesObservation } from '../../../backend/src/domain/gates/observation.ts';
import type { GateState } from '../../../backend/src/domain/gates/result.ts';
import type { NewErrorsGate } from '../../../backend/src/domain/gates/schemas.ts';
import { countTemplates } from '../../../backend/src/domain/logs/templates.ts';

const gate: NewErrorsGate = { name: 'new-errors', kind: 'new-errors', provider: 'loki', minOccurrences: 2 };
const fresh: GateState = {
  cursor: null,
  windowEnd: null,
  totals: { canary: { requests: 0, errors: 0 }, baseline: { requests: 0, errors: 0 } },
  failStreak: 0,
  last: null,
};

function aTick(canary: string[], baseline: string[], to: number): TemplatesObservation {
  return {
    kind: 'templates',
    window: { from: to - 1000, to },
    canary: { ok: true, value: countTemplates(canary) },
    baseline: { ok: true, value: countTemplates(baseline) },
  };
}

const routine = 'connection reset while reading from the orders database';
const fresh1 = 'inventory cache for sku 84121 not warmed';
const fresh2 = 'inventory cache for sku 50317 not warmed';

test('a new-errors gate is told in templates and lines, not in percentages', () => {
  const first = judgeNewErrors(gate, aTick([routine], [routine, 'request failed'], 1000), fresh);
  assert.equal(
    narrateGate(first.result),
    'new-errors pass 0 new (2× confirms one), canary error lines 1, baseline templates 2'
  );

  const held = judgeNewErrors(gate, aTick([fresh1], [routine], 2000), first.state);
  assert.equal(
    narrateGate(held.result),
    'new-errors inconclusive (unconfirmed) 0 new (2× confirms one), canary error lines 1, baseline templates 2'
  );

  const failed = judgeNewErrors(gate, aTick([fresh2], [routine], 3000), held.state);
  assert.equal(
    narrateGate(failed.result),
    'new-errors fail 1 new (2× confirms one), canary error lines 1, baseline templates 2'
  );
});

test('a new-errors gate without data says only its verdict and why', () => {
  const silent: TemplatesObservation = {
    kind: 'templates',
    window: { from: 0, to: 1000 },
    canary: { ok: false, kind: 'no-data', reason: 'no log line from demo v4 in the window' },
    baseline: { ok: true, value: [] },
  };
  assert.equal(narrateGate(judgeNewErrors(gate, silent, fresh).result), 'new-errors inconclusive (no-data)');
});
