import type { RoutingState } from '../domain/rollout.ts';
import type { ControllerKind, TrafficConfig } from '../domain/traffic-config.ts';

/** The service whose traffic moves, and how its controller is configured. */
export interface TrafficTarget {
  service: string;
  baseline: string;
  canary: string;
  config: TrafficConfig;
}

/**
 * Moves a service's traffic. Level-triggered: `apply` is handed the whole
 * desired routing state every time and makes it so; applying the same state
 * twice changes nothing. It returns what is really in force afterwards, read
 * back from the proxy (which may round a weight).
 *
 * `apply` with weight 0 and no header route must put all traffic on the
 * baseline even when the canary is failing or gone.
 */
export interface TrafficController {
  readonly kind: ControllerKind;
  apply(target: TrafficTarget, desired: RoutingState): Promise<RoutingState>;
  /** What is in force now; null when nothing is configured for the service yet. */
  read(target: TrafficTarget): Promise<RoutingState | null>;
  close?(): Promise<void>;
}

/** A traffic change that could not be made or confirmed; `message` says why in words an operator can act on. */
export class TrafficError extends Error {
  readonly controller: ControllerKind;

  constructor(controller: ControllerKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrafficError';
    this.controller = controller;
  }
}

/** Finds the controller for a rollout's traffic settings. */
export type ControllerFor = (config: TrafficConfig) => TrafficController;
