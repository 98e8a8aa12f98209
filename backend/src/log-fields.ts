/**
 * Field names for Sentra's log lines, in one place so that every line about a
 * rollout can be found with the same query.
 */
export const F = {
  rollout: 'rollout',
  service: 'service',
  step: 'step',
  gate: 'gate',
  verdict: 'verdict',
  observed: 'observed',
  threshold: 'threshold',
  samples: 'samples',
  weight: 'weight',
  decision: 'decision',
  actor: 'actor',
  reason: 'reason',
  controller: 'controller',
} as const;
