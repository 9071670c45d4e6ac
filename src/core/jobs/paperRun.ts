/**
 * The paper's own continued pretraining, the anchor of every estimate: a 13B model trained on 80B
 * tokens in about 24 hours on 256 H100s. At 6 · parameters · tokens FLOPs that is
 * 6 · 13e9 · 80e9 / (24 · 3600 · 256) ≈ 282 TFLOP/s sustained per GPU.
 */
export const PAPER_RUN = { parameters: 13e9, tokens: 80e9, hours: 24, gpus: 256 } as const;

export const PAPER_TFLOPS_PER_GPU =
  (6 * PAPER_RUN.parameters * PAPER_RUN.tokens) / (PAPER_RUN.hours * 3600 * PAPER_RUN.gpus) / 1e12;
