// Step-wise schedules. Pure functions of the global step (0-based), so a resumed run gets the
// same value as an uninterrupted one.

/**
 * main_vicreg.py adjust_learning_rate: peak = baseLr · batchSize / 256; linear warmup from 0 over
 * warmupSteps, then cosine from the peak to 0.001 · peak at totalSteps.
 */
export function learningRate(step: number, o: { baseLr: number; batchSize: number; warmupSteps: number; totalSteps: number }): number {
  const peak = (o.baseLr * o.batchSize) / 256;
  if (step < o.warmupSteps) return (peak * step) / o.warmupSteps;
  const span = Math.max(o.totalSteps - o.warmupSteps, 1);
  const q = 0.5 * (1 + Math.cos((Math.PI * Math.min(step - o.warmupSteps, span)) / span));
  const end = peak * 0.001;
  return peak * q + end * (1 - q);
}

/** Coefficient ramp: w(t) = w0 · (r0 + (1 − r0) · ½(1 − cos(π · min(t/T, 1)))); T = 0 turns it off. */
export function rampedCoeff(w0: number, step: number, rampSteps: number, rampStart: number): number {
  if (rampSteps <= 0) return w0;
  const u = Math.min(step / rampSteps, 1);
  return w0 * (rampStart + (1 - rampStart) * 0.5 * (1 - Math.cos(Math.PI * u)));
}
