// Float64 reference of the VICReg objective for tests: a line-by-line port of
// facebookresearch/vicreg main_vicreg.py, VICReg.forward (commit a73f567), on plain number arrays,
// plus AVT and SICov as workers/vicreg/loss.ts states them. Rows are samples: z[b][j], shape [B, d].
import type { LossOptions } from '../contract/config';
export type Mat = number[][];

/** The loss's settings (workers/contract/config.ts): only their shape is shared with the code checked. */
export type RefOptions = LossOptions;

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

function centre(z: Mat): Mat {
  const d = z[0].length;
  const mu = Array.from({ length: d }, (_, j) => mean(z.map((r) => r[j])));
  return z.map((r) => r.map((v, j) => v - mu[j]));
}

/** torch.sqrt(x.var(dim=0) + eps), unbiased. */
export function std64(zc: Mat, eps: number): number[] {
  const B = zc.length;
  return zc[0].map((_, j) => Math.sqrt(zc.reduce((s, r) => s + r[j] * r[j], 0) / (B - 1) + eps));
}

function cov(zc: Mat): Mat {
  const B = zc.length,
    d = zc[0].length;
  const c: Mat = Array.from({ length: d }, () => new Array(d).fill(0));
  for (let i = 0; i < d; i++)
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (let b = 0; b < B; b++) s += zc[b][i] * zc[b][k];
      c[i][k] = s / (B - 1);
    }
  return c;
}

function offdiag(c: Mat): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) for (let k = 0; k < c.length; k++) if (i !== k) s += c[i][k] ** 2;
  return s / c.length;
}

function sicov(c: Mat): number {
  const d = c.length;
  let tr = 0;
  for (let i = 0; i < d; i++) tr += c[i][i];
  let s = 0;
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) s += (c[i][k] / tr - (i === k ? 1 / d : 0)) ** 2;
  return d * s;
}

export function median64(x: number[]): number {
  const s = [...x].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export interface RefResult {
  loss: number;
  invariance: number;
  variance: number;
  covariance: number;
  gammaT: number;
  ema: number[] | null;
}

export function vicreg64(z1: Mat, z2: Mat, o: RefOptions, ema: number[] | null = null): RefResult {
  let inv = 0;
  z1.forEach((r, b) =>
    r.forEach((v, j) => {
      inv += (v - z2[b][j]) ** 2;
    }),
  );
  inv /= z1.length * z1[0].length;
  const x = centre(z1),
    y = centre(z2);
  const sx = std64(x, o.eps),
    sy = std64(y, o.eps);
  let gammaT = o.gamma;
  let m: number[] | null = null;
  if (o.varianceMode === 'adaptive') {
    const sBar = sx.map((v, j) => (v + sy[j]) / 2);
    m = ema === null ? sBar : ema.map((v, j) => o.emaMomentum * v + (1 - o.emaMomentum) * sBar[j]);
    gammaT = Math.min(o.gammaMax, Math.max(o.gammaMin, median64(m)));
  }
  const hinge = (s: number[]) => mean(s.map((v) => Math.max(0, gammaT - v)));
  const variance = hinge(sx) / 2 + hinge(sy) / 2;
  const term = o.covarianceMode === 'sicov' ? sicov : offdiag;
  const covariance = term(cov(x)) + term(cov(y));
  const loss = o.simCoeff * inv + o.stdCoeff * variance + o.covCoeff * covariance;
  return { loss, invariance: inv, variance, covariance, gammaT, ema: m };
}
