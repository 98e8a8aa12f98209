/**
 * Smooth weighted choice between the baseline and the canary. Each pick adds
 * every side's weight to its running credit, takes the side with the most
 * credit and charges it the total. Over any 100 consecutive picks the canary
 * gets exactly `weight` of them, spread evenly rather than in bursts, and no
 * randomness is involved: a few hundred requests already show the configured
 * split.
 */
export class WeightedPicker {
  readonly weight: number;
  #canaryCredit = 0;
  #baselineCredit = 0;

  /** `weight` is the canary's share in percent, 0 to 100. */
  constructor(weight: number) {
    this.weight = weight;
  }

  /** True when this request goes to the canary. */
  pickCanary(): boolean {
    if (this.weight <= 0) return false;
    if (this.weight >= 100) return true;

    this.#canaryCredit += this.weight;
    this.#baselineCredit += 100 - this.weight;

    // Ties go to the baseline, so a 50% split starts on the stable version.
    if (this.#canaryCredit > this.#baselineCredit) {
      this.#canaryCredit -= 100;
      return true;
    }
    this.#baselineCredit -= 100;
    return false;
  }
}
