import { describe, expect, it } from 'vitest';
import { Liveness, MIN_SILENCE_MS } from './liveness';

describe('Liveness', () => {
  it('calls a worker dead after a silence longer than the allowance, and alive while it answers', () => {
    const l = new Liveness(0);
    expect(l.dead(MIN_SILENCE_MS)).toBe(false);
    expect(l.dead(MIN_SILENCE_MS + 1)).toBe(true);
    l.heard(MIN_SILENCE_MS + 1);
    expect(l.dead(MIN_SILENCE_MS + 2)).toBe(false);
  });

  it('allows five times the slowest step, so a slow backend is not taken for a crash', () => {
    const l = new Liveness(0);
    l.step(200);
    expect(l.allowanceMs()).toBe(MIN_SILENCE_MS);
    l.step(194_000); // the default step on the plain CPU backend here
    l.step(NaN);
    expect(l.allowanceMs()).toBe(970_000);
    expect(l.dead(600_000)).toBe(false);
    expect(l.dead(970_001)).toBe(true);
  });
});
