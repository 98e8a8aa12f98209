import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseInstant } from '../../../backend/src/replay/time.ts';

const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);

describe('reading a replay time', () => {
  it('reads now, times before now, ISO times with a zone and epoch milliseconds', () => {
    assert.equal(parseInstant('now', NOW), NOW);
    assert.equal(parseInstant('-90s', NOW), NOW - 90_000);
    assert.equal(parseInstant('-15m', NOW), NOW - 900_000);
    assert.equal(parseInstant('-2h', NOW), NOW - 7_200_000);
    assert.equal(parseInstant('2026-01-31T11:00:00Z', NOW), NOW - 3_600_000);
    assert.equal(parseInstant('2026-01-31T13:00:00.500+02:00', NOW), NOW - 3_600_000 + 500);
    assert.equal(parseInstant(NOW - 5, NOW), NOW - 5);
  });

  it('refuses a time without a zone, a time after now written as relative, and anything else', () => {
    for (const text of ['2026-01-31T11:00:00', '2026-01-31', '+5m', '5m', '-5', '-1d', 'yesterday', '', 'now ish']) {
      assert.equal(parseInstant(text, NOW), null, text);
    }
    assert.equal(parseInstant(-1, NOW), null);
    assert.equal(parseInstant(1.5, NOW), null);
  });
});
