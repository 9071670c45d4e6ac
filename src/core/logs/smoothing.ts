/**
 * Smoothing of a training curve the way TensorBoard smooths scalars (tensorflow/tensorboard,
 * components/vz_line_chart2/line-chart.ts at 34877f15), so a curve reads the same in both: an
 * exponential moving average s = w·s + (1 − w)·x over the finite points, divided by 1 − wᵏ after k
 * points so that the start is not pulled towards 0. A non-finite point is passed through and not
 * counted; a constant series is left as it is (no rounding drift).
 */

/** The weights the panel offers run from 0 (raw) to just below 1: w = 1 would freeze the curve at its start. */
export const MAX_SMOOTHING = 0.99;

export function smoothEma(values: readonly number[], weight: number): number[] {
  if (!(weight >= 0 && weight <= MAX_SMOOTHING))
    throw new RangeError(`the smoothing weight must be in [0, ${MAX_SMOOTHING}], got ${weight}`);
  const constant = values.every((v) => v === values[0]);
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (constant || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    count++;
    return last / (1 - weight ** count);
  });
}
