/**
 * The standard normal distribution, for rank tests and sample-size formulas.
 * Pure arithmetic: a power series near zero, a continued fraction in the tails.
 */

const SQRT_PI = Math.sqrt(Math.PI);

/** P(Z <= z) for a standard normal Z. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (z < 0) return 0.5 * erfc(-z / Math.SQRT2);
  return 1 - 0.5 * erfc(z / Math.SQRT2);
}

/** The z with P(Z <= z) = p, by Newton's method on the cdf (accurate to about 1e-12). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    return Number.NaN;
  }
  if (p < 0.5) return -normalQuantile(1 - p);

  // A start from the tail's leading term, then Newton steps on the cdf.
  let z = p === 0.5 ? 0 : Math.sqrt(-2 * Math.log(1 - p));
  for (let i = 0; i < 100; i++) {
    const density = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    const step = (normalCdf(z) - p) / density;
    z -= step;
    if (Math.abs(step) < 1e-13 * Math.max(1, Math.abs(z))) break;
  }
  return z;
}

/** Complementary error function for x >= 0. */
function erfc(x: number): number {
  if (x < 2.5) return 1 - erfSeries(x);
  return erfcFraction(x);
}

/** erf by its Taylor series; converges quickly for small x. */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / SQRT_PI) * sum;
}

/**
 * erfc by its continued fraction, evaluated from the tail end:
 * erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))).
 */
function erfcFraction(x: number): number {
  let tail = x;
  for (let k = 80; k >= 1; k--) tail = x + k / 2 / tail;
  return Math.exp(-x * x) / SQRT_PI / tail;
}
