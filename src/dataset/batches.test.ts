import { describe, expect, it } from 'vitest';
import { MAX_BATCH, nextBatchSize } from './batches';

describe('nextBatchSize', () => {
  it('grows at most twofold when a batch was quick', () => {
    expect(nextBatchSize(4, 0.1, 12)).toBe(8);
    expect(nextBatchSize(4, 0, 12)).toBe(8);
  });
  it('scales to the target when a batch was slow', () => {
    expect(nextBatchSize(10, 40, 12)).toBe(3);
  });
  it('never goes under one file or over the cap', () => {
    expect(nextBatchSize(1, 500, 12)).toBe(1);
    expect(nextBatchSize(MAX_BATCH, 0.1, 12)).toBe(MAX_BATCH);
  });
});
