import type { Prepared, Sample } from './world.ts';
import { faultActive, sample } from './world.ts';
import type { Rng } from './rng.ts';

/**
 * How a rollout ended for one rule: rolled back, completed (the canary got all
 * traffic), paused (waiting for a person), or still running at the horizon.
 * `onset` is when the fault first affected the canary (null if it never did).
 */
export type Result = 'rollback' | 'complete' | 'paused' | 'running';

export interface Outcome {
  result: Result;
  at: number;
  onset: number | null;
}

/** One rule's view of the world during one run: samples, and when the fault began. */
export class Run {
  readonly world: Prepared;
  readonly rng: Rng;
  onset: number | null = null;

  constructor(world: Prepared, rng: Rng) {
    this.world = world;
    this.rng = rng;
  }

  sample(from: number, to: number, weight: number): Sample {
    if (this.onset === null && faultActive(this.world.scenario, weight)) this.onset = from;
    return sample(this.world, this.rng, from, to, weight);
  }

  end(result: Result, at: number): Outcome {
    return { result, at, onset: this.onset };
  }
}

/** A rule users could pick, run on one scenario. */
export interface Rule {
  /** Short stable id, e.g. `flagger-60s-5`. */
  id: string;
  family: 'sentra' | 'flagger' | 'argo' | 'kayenta' | 'oracle';
  label: string;
  /** The rule's defaults as its documentation suggests, as opposed to a tighter setting. */
  isDefault: boolean;
  /** Values of the rule's one tuning knob (threshold multiple or confidence); one run per value. */
  knobs: readonly number[];
  run(run: Run, knob: number): Outcome;
}
