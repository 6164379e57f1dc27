// The stride-phase geometry of the depthwise gradients (phases.ts), checked without a backend.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { phaseLayout } from './phases';

describe('phaseLayout', () => {
  it('keeps every tap window inside its phase, for many geometries', () => {
    for (const s of [1, 2, 3]) {
      for (const k of [1, 2, 3, 5, 7]) {
        for (const d of s === 1 ? [1, 2, 3] : [1]) {
          const c = tf.backend_util.computeConv2DInfo([3, 17, 12, 1], [k, k, 1, 1], s, d, 'same', undefined, true);
          const g = phaseLayout(c);
          for (const t of g.taps) {
            expect(t.phase).toBeLessThan(g.phases);
            expect(t.offset + g.K).toBeLessThanOrEqual(g.L);
          }
          expect(g.Hp).toBeGreaterThanOrEqual((c.outHeight - 1) * s + (k - 1) * d + 1);
        }
      }
    }
  });
});
