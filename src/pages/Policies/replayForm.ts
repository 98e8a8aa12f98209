import type { FieldError, ReplayRequest } from '../../api/types';
import type { PolicyDraft } from './policyForm';

/** The past ranges offered; the relative ones end now and are read by the backend's clock, not the browser's. */
export const REPLAY_RANGES = [
  { value: '15m', label: 'Last 15 min' },
  { value: '1h', label: 'Last 1 h' },
  { value: '6h', label: 'Last 6 h' },
  { value: 'custom', label: 'From – to' },
] as const;

export type ReplayRange = (typeof REPLAY_RANGES)[number]['value'];

/** What the replay form holds; `from` and `to` count only for a custom range. */
export interface ReplayInputs {
  service: string;
  baseline: string;
  canary: string;
  range: ReplayRange;
  from: string;
  to: string;
}

export type ReplayInputName = Exclude<keyof ReplayInputs, 'range'>;

const replayInputNames: readonly ReplayInputName[] = ['service', 'baseline', 'canary', 'from', 'to'];

export const NO_REPLAY_INPUTS: ReplayInputs = { service: '', baseline: '', canary: '', range: '1h', from: '', to: '' };

export function replayRequest(inputs: ReplayInputs, policy: PolicyDraft): ReplayRequest {
  const custom = inputs.range === 'custom';
  return {
    policy,
    service: inputs.service.trim(),
    baseline: inputs.baseline.trim(),
    canary: inputs.canary.trim(),
    from: custom ? inputs.from.trim() : `-${inputs.range}`,
    to: custom ? inputs.to.trim() : 'now',
  };
}

/** Every input the request needs is filled in; whether it is right is for the backend to say. */
export function replayReady(inputs: ReplayInputs): boolean {
  const named = [inputs.service, inputs.baseline, inputs.canary].every((v) => v.trim() !== '');
  return named && (inputs.range !== 'custom' || (inputs.from.trim() !== '' && inputs.to.trim() !== ''));
}

export function sameReplayInputs(a: ReplayInputs, b: ReplayInputs): boolean {
  return replayInputNames.every((name) => a[name] === b[name]) && a.range === b.range;
}

/**
 * A replay's field errors by where they are shown: the replay form's own
 * inputs, the policy editor's fields (with `/policy` taken off, so they name
 * the editor's own pointers), and anything neither of them holds.
 */
export interface SortedReplayErrors {
  own: FieldError[];
  policy: FieldError[];
  other: FieldError[];
}

export function sortReplayErrors(fields: FieldError[]): SortedReplayErrors {
  const sorted: SortedReplayErrors = { own: [], policy: [], other: [] };
  for (const error of fields) {
    const { field } = error;
    if (field === '/policy' || field.startsWith('/policy/')) {
      sorted.policy.push({ ...error, field: field.slice('/policy'.length) });
    } else if (replayInputNames.some((name) => field === `/${name}`)) {
      sorted.own.push(error);
    } else {
      sorted.other.push(error);
    }
  }
  return sorted;
}

/** An instant as the backend reads it, to the second, in UTC: `2025-01-15T12:00:00Z`. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
