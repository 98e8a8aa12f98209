import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parsePayload } from '../../../backend/src/grafana/annotations.ts';
import { decisionTags, decisionText, regionTags, regionText } from '../../../backend/src/grafana/content.ts';
import { aDecision, aRollout } from './outbox-fakes.ts';

describe('annotation content', () => {
  it('gives every tag at most one colon, so Grafana keeps it whole', () => {
    const rollout = aRollout({ id: '7f3c2a9e-0b1d-4e5f-9a8b-123456789abc', service: 'checkout-api' });
    const tags = [...regionTags(rollout), ...decisionTags(rollout, aDecision({ kind: 'rollback', seq: 12 }))];

    for (const tag of tags) assert.ok(tag.split(':').length <= 2, `${tag} has more than one colon`);
    assert.ok(tags.includes('sentra-decision:7f3c2a9e-0b1d-4e5f-9a8b-123456789abc/12'));
    assert.ok(tags.includes('decision:rollback'));
  });

  it('escapes a reason for Grafana, which renders annotation text as HTML, and breaks lines with <br>', () => {
    const text = decisionText(aRollout(), aDecision({ reason: 'latency fail: p99 <0.5s & "rising"' }));

    assert.match(text, /latency fail: p99 &#60;0\.5s &#38; &#34;rising&#34;/);
    assert.equal(text.split('<br>').length, 3, 'headline, reason, one line per gate');
    assert.doesNotMatch(text.replaceAll('<br>', ''), /[<>]/);
  });

  it('writes the numbers of each gate, with n/a where a gate has none and +Inf for an infinite latency', () => {
    const verdicts = [
      {
        gate: 'p99',
        verdict: 'fail' as const,
        observed: Infinity,
        baselineObserved: null,
        threshold: 0.5,
        samples: { canary: 40, baseline: null },
      },
    ];
    const text = decisionText(aRollout(), aDecision({ kind: 'rollback', verdicts }));

    assert.match(text, /p99 fail: observed \+Inf, threshold 0\.5, 40 canary \/ n\/a baseline samples/);
  });

  it('tells in the region where a live rollout stands and how an ended one ended', () => {
    assert.equal(
      regionText(aRollout({ phase: 'paused', stepIndex: 1, weight: 15 })),
      'Sentra rollout of demo: v1 → v2 (policy standard), paused, step 2 of 3 at 15%'
    );
    assert.match(
      regionText(aRollout({ phase: 'aborted', endedAt: aRollout().startedAt + 125_000 })),
      /, aborted after 2m 5s$/
    );
  });
});

describe('annotation payloads', () => {
  it('read back after a trip through JSON, and a malformed one is refused naming the field', () => {
    const written = {
      event: 'decision',
      rollout: { ...aRollout(), policyVersion: 3, worstVerdict: 'pass' },
      decision: aDecision(),
    };
    assert.equal(
      parsePayload(JSON.parse(JSON.stringify(written))).ok,
      true,
      'fields beyond those annotated are ignored'
    );

    const bad = parsePayload({
      event: 'decision',
      rollout: aRollout(),
      decision: { ...aDecision(), kind: 'celebrate' },
    });
    assert.deepEqual(bad, {
      ok: false,
      reason: 'malformed annotation payload: /decision/kind must be equal to one of the allowed values',
    });
    assert.equal(
      parsePayload({ event: 'decision', rollout: aRollout() }).ok,
      false,
      'a decision event needs its decision'
    );
    assert.equal(parsePayload(null).ok, false);
    assert.equal(parsePayload('started').ok, false);
  });
});
