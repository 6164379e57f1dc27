// Seeded randomness: every random draw in training (shuffles, crop boxes, flips) comes from here,
// so one seed reproduces a run.

/** A seeded generator whose whole state is one 32-bit number, so a checkpoint can hold it. */
export interface Rng {
  (): number;
  getState(): number;
  setState(state: number): void;
}

/** mulberry32 (Tommy Ettinger, public domain): 32-bit state, uniform in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  const next = (() => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Rng;
  next.getState = () => a;
  next.setState = (state) => {
    a = state >>> 0;
  };
  return next;
}

/** Fisher–Yates shuffle of 0..n-1 with the given generator. */
export function permutation(n: number, rand: () => number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** n values uniform in [-1, 1) from a 32-bit linear congruential generator (Numerical Recipes'
 *  constants): a cheap, fixed stream of test inputs, the same on every machine. */
export function lcgValues(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}
