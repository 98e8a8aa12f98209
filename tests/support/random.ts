/**
 * Seeded randomness for statistical tests: a small generator (mulberry32)
 * and Poisson counts by inversion, enough for the modest means tests use.
 */
export interface Random {
  next(): number;
  poisson(mean: number): number;
}

export function seeded(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const poisson = (mean: number): number => {
    if (mean <= 0) return 0;
    // Split large means so exp(-mean) never underflows.
    if (mean > 50) return poisson(mean / 2) + poisson(mean / 2);
    let k = 0;
    let p = Math.exp(-mean);
    let cdf = p;
    const u = next();
    while (u > cdf) {
      k++;
      p *= mean / k;
      cdf += p;
    }
    return k;
  };
  return { next, poisson };
}
