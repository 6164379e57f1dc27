import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../contract/config';
import { drawParams, viewOptions } from '../dataset/augment';
import { fromPixels } from '../dataset/dataset';
import { mulberry32, permutation } from '../dataset/random';
import { Draws, type StepDraw } from './draws';

const data = fromPixels(
  Uint8Array.from({ length: 40 * 6 * 6 * 3 }, (_, i) => (i * 37) % 256),
  { count: 40, height: 6, width: 6, channels: 3 },
  new Int32Array(40),
  [],
  {
    id: 'd',
    name: 'd',
    source: 'd',
    testFraction: 0,
    seed: 0,
  },
);
const c = { ...DEFAULT_CONFIG, batchSize: 8, imageSize: 4, seed: 3 };
const perEpoch = 5; // 40 / 8

const take = (d: Draws, n: number) => Array.from({ length: n }, () => d.next());
const same = (a: StepDraw[], b: StepDraw[]) => expect(JSON.stringify(b)).toBe(JSON.stringify(a));

describe('Draws', () => {
  it('draws as one generator always has: each epoch its shuffle, each step view 1 then view 2', () => {
    const rand = mulberry32(c.seed);
    const want: StepDraw[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      const order = permutation(40, rand);
      for (let index = 0; index < perEpoch; index++) {
        const batch = order.subarray(index * 8, (index + 1) * 8).map((k) => data.train[k]);
        const params = [1, 2].map((v) => drawParams(8, 6, 6, viewOptions(c, v as 1 | 2, data.summary), rand));
        want.push({ epoch, index, batch, params, imageSize: c.imageSize } as StepDraw);
      }
    }
    same(want, take(new Draws(data, c, mulberry32(c.seed), perEpoch), 15));
  });

  it('records the generator for a checkpoint at any step while drawing ahead, so a resumed run draws the same', () => {
    const all = take(new Draws(data, c, mulberry32(c.seed), perEpoch), 14);
    for (const ahead of [0, 1, 2, 4]) {
      for (let done = 1; done <= 12; done++) {
        // `done` steps trained, the draws `ahead` steps further; the checkpoint is for the step after.
        const d = new Draws(data, c, mulberry32(c.seed), perEpoch);
        take(d, done + ahead);
        const epoch = Math.floor((done - 1) / perEpoch);
        const next = done - epoch * perEpoch; // perEpoch at an epoch's end: the rollover
        const rng = d.rngAt(epoch, next);
        const rollover = next === perEpoch;
        const resumed = new Draws(data, c, mulberry32(999), perEpoch, {
          epoch: rollover ? epoch + 1 : epoch,
          stepInEpoch: rollover ? 0 : next,
          rng,
        });
        same(all.slice(done, 14), take(resumed, 14 - done));
      }
    }
  });
});
