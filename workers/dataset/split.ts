// Seeded, stratified train/test split: each class contributes round(testFraction · n_c) test images.
import { mulberry32, permutation } from './random';

export function stratifiedSplit(labels: ArrayLike<number>, testFraction: number, seed: number): { train: Int32Array; test: Int32Array } {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]) ?? [];
    list.push(i);
    byClass.set(labels[i], list);
  }
  const rand = mulberry32(seed ^ 0x5eed);
  const train: number[] = [];
  const test: number[] = [];
  for (const [, members] of [...byClass.entries()].sort((a, b) => a[0] - b[0])) {
    const order = permutation(members.length, rand);
    const nTest = Math.round(testFraction * members.length);
    order.forEach((k, rank) => (rank < nTest ? test : train).push(members[k]));
  }
  return { train: Int32Array.from(train.sort((a, b) => a - b)), test: Int32Array.from(test.sort((a, b) => a - b)) };
}
