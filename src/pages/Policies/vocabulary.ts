/**
 * The closed sets a policy chooses from, as the backend defines them. Listed
 * here as values because the backend's schema module also builds its
 * validators; `satisfies` keeps both in step.
 */
import type { Comparison, GateKind, ProviderName } from '../../../backend/src/domain/gates/schemas.ts';

export const GATE_KIND_NAMES = [
  'error-rate',
  'error-ratio',
  'latency',
  'burn-rate',
  'query',
  'new-errors',
] as const satisfies readonly GateKind[];
export const PROVIDER_NAMES = [
  'prometheus',
  'router',
  'loki',
  'tempo',
  'grafana',
] as const satisfies readonly ProviderName[];
export const COMPARISONS = ['<', '<=', '>', '>='] as const satisfies readonly Comparison[];

type Missing<All, Listed> = Exclude<All, Listed>;
// Fails to compile when the backend adds a word that is not listed above.
const complete: [
  Missing<GateKind, (typeof GATE_KIND_NAMES)[number]>,
  Missing<ProviderName, (typeof PROVIDER_NAMES)[number]>,
  Missing<Comparison, (typeof COMPARISONS)[number]>,
] extends [never, never, never]
  ? true
  : false = true;
void complete;
