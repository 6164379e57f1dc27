import { afterEach, describe, expect, it, vi } from 'vitest';
import { PhaseClock } from './phases';

/** A clock that moves only when told: performance.now() returns `t`. */
let t = 0;
const tick = (ms: number) => (t += ms);

describe('PhaseClock', () => {
  afterEach(() => vi.restoreAllMocks());

  it('charges nested sections to their own phase, never twice, and leaves the rest idle', () => {
    vi.spyOn(performance, 'now').mockImplementation(() => t);
    t = 0;
    const clock = new PhaseClock();
    clock.begin();
    clock.time('checkpoint', () => {
      tick(2);
      clock.time('readback', () => tick(5)); // a drain inside a save
      tick(3);
    });
    tick(10); // awaiting: idle
    clock.time('step', () => tick(80));
    clock.stepDone(128);
    clock.end();
    const r = clock.report();
    expect(r.wallMs).toBe(100);
    expect(r.ms).toEqual({ data: 0, step: 80, readback: 5, knn: 0, checkpoint: 5, other: 0 });
    expect(r.idleMs).toBe(10);
    expect([r.steps, r.images]).toEqual([1, 128]);
  });

  it('keeps paused time out of the wall clock', () => {
    vi.spyOn(performance, 'now').mockImplementation(() => t);
    t = 0;
    const clock = new PhaseClock();
    clock.begin();
    clock.time('step', () => tick(40));
    tick(1000); // paused
    clock.skip(1000);
    clock.time('step', () => tick(40));
    expect(clock.report().wallMs).toBe(80);
    expect(clock.report().idleMs).toBe(0);
  });

  it('still closes a section whose work throws', () => {
    vi.spyOn(performance, 'now').mockImplementation(() => t);
    t = 0;
    const clock = new PhaseClock();
    clock.begin();
    expect(() =>
      clock.time('knn', () => {
        tick(7);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    clock.time('other', () => tick(1));
    expect(clock.report().ms.knn).toBe(7);
    expect(clock.report().ms.other).toBe(1);
  });
});
