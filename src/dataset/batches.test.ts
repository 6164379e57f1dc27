import { describe, expect, it } from 'vitest';
import { MAX_BATCH, nextBatchSize } from './batches';

describe('nextBatchSize', () => {
  it('grows at most twofold when a batch was quick', () => {
    expect(nextBatchSize(16, 1, 12)).toBe(32);
    expect(nextBatchSize(16, 0, 12)).toBe(32);
  });
  it('scales to the target when a batch was slow', () => {
    expect(nextBatchSize(100, 40, 12)).toBe(30);
  });
  it('never goes under one file or over the cap', () => {
    expect(nextBatchSize(1, 500, 12)).toBe(1);
    expect(nextBatchSize(MAX_BATCH, 0.1, 12)).toBe(MAX_BATCH);
  });
});
