import { describe, expect, it } from 'vitest';
import { meanSd } from '../../workers/eval/intervals';
import { summarize, type SeedResult } from './repeat';

describe('repeat over seeds', () => {
  it('mean and sample standard deviation by hand', () => {
    expect(meanSd([0.8, 0.82, 0.84])).toEqual({ mean: expect.closeTo(0.82, 12), sd: expect.closeTo(0.02, 12) });
    expect(meanSd([0.5])).toEqual({ mean: 0.5, sd: 0 });
  });

  it("each evaluation's rows and VICReg's lead over each baseline, per seed and over seeds", () => {
    const r = (seed: number, t: number, rand: number, px: number): SeedResult => ({
      seed,
      step: 100,
      top1: { knn: { trained: t, 'random init': rand, 'raw pixels': px }, probe: { trained: t + 0.01 } },
    });
    const rows = summarize([r(0, 0.8, 0.7, 0.75), r(1, 0.84, 0.72, 0.79)]);
    const row = (label: string) => rows.find((x) => x.label === label)!;
    expect(row('k-NN: VICReg').values).toEqual([0.8, 0.84]);
    expect(row('k-NN: VICReg').mean).toBeCloseTo(0.82, 12);
    expect(row('k-NN: VICReg − random init').values.map((v) => v!.toFixed(2))).toEqual(['0.10', '0.12']);
    expect(row('k-NN: VICReg − raw pixels').sd).toBeCloseTo(0, 12);
    expect(row('probe: VICReg').mean).toBeCloseTo(0.83, 12);
    // A row no seed measured is left out, not shown as zero.
    expect(rows.map((x) => x.label)).not.toContain('probe: random init');
  });
});
