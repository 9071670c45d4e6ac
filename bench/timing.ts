import { performance } from 'node:perf_hooks';

/** Milliseconds of each of `runs` calls, after one warm-up call. */
export function time(fn: () => unknown, runs: number): number[] {
  fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function report(name: string, rows: [string, number][], verdict: string) {
  console.log(`\n## ${name}`);
  for (const [label, ms] of rows) console.log(`  ${label.padEnd(56)} ${ms.toFixed(2).padStart(10)} ms`);
  console.log(`  ${verdict}`);
}
