/**
 * Seeded randomness for the decision benchmark: a small fast generator
 * (sfc32), seeds derived by hashing, and Poisson counts. Every draw of a run
 * comes from a generator seeded by (corpus seed, scenario, rule), so results do
 * not depend on how runs are spread over worker threads.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

/** Mixes numbers into one 32-bit seed (splitmix-style finalizer). */
export function seedOf(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  let b = seedOf(seed, 1);
  let c = seedOf(seed, 2);
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return { next };
}

export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.next();
}

/** Log-uniform between lo and hi. */
export function logUniform(rng: Rng, lo: number, hi: number): number {
  return Math.exp(uniform(rng, Math.log(lo), Math.log(hi)));
}

const LOG_FACTORIAL: number[] = [0];
for (let k = 1; k < 256; k++) LOG_FACTORIAL.push(LOG_FACTORIAL[k - 1]! + Math.log(k));

/** ln(k!) from a table, or Stirling's series beyond it. */
export function logFactorial(k: number): number {
  if (k < 256) return LOG_FACTORIAL[k]!;
  const n = k;
  return n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3);
}

/**
 * A Poisson count: by inversion for small means, and by Hörmann's transformed
 * rejection with squeeze (PTRS) for larger ones.
 */
export function poisson(rng: Rng, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean < 12) return poissonInversion(rng, mean);
  return poissonPtrs(rng, mean);
}

function poissonInversion(rng: Rng, mean: number): number {
  let k = 0;
  let p = Math.exp(-mean);
  let cdf = p;
  const u = rng.next();
  while (u > cdf && k < 1000) {
    k++;
    p *= mean / k;
    cdf += p;
  }
  return k;
}

function poissonPtrs(rng: Rng, mean: number): number {
  const root = Math.sqrt(mean);
  const logMean = Math.log(mean);
  const b = 0.931 + 2.53 * root;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.next() - 0.5;
    const v = rng.next();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    const lhs = Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b);
    if (lhs <= -mean + k * logMean - logFactorial(k)) return k;
  }
}
