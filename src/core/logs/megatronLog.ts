import type { IterationMetrics } from './iterationMetrics';

/**
 * Megatron-LM's training log lines:
 *  [2024-06-01 12:00:00] iteration      100/   10000 | consumed samples:       102400 |
 *  elapsed time per iteration (ms): 12345.6 | throughput per GPU (TFLOP/s/GPU): 180.5 |
 *  learning rate: 1.000000E-04 | global batch size:  1024 | lm loss: 2.345678E+00 | … | grad norm: 0.567 | …
 * Parsed with string searches, not one regular expression per field: logs run to gigabytes.
 */
const FIELDS: Record<string, keyof IterationMetrics> = {
  'consumed samples': 'consumedSamples',
  'elapsed time per iteration (ms)': 'elapsedMs',
  'throughput per GPU (TFLOP/s/GPU)': 'tflopsPerGpu',
  'learning rate': 'learningRate',
  'lm loss': 'lmLoss',
  'grad norm': 'gradNorm',
  'number of skipped iterations': 'skipped',
  'number of nan iterations': 'nan',
};

/** The metrics of one line, or undefined when it is not an iteration line. */
export function parseIterationLine(line: string): IterationMetrics | undefined {
  const at = line.indexOf(' iteration ');
  if (at < 0 || line.indexOf('|', at) < 0) return undefined;
  // Only Megatron's own lines: nothing before "iteration" but a [timestamp].
  const before = line.slice(0, at).trim();
  if (before !== '' && !(before.startsWith('[') && before.endsWith(']'))) return undefined;
  const parts = line.slice(at + 11).split('|');
  const head = parts[0].trim();
  const slash = head.indexOf('/');
  const iteration = Number(slash < 0 ? head : head.slice(0, slash));
  if (!Number.isInteger(iteration)) return undefined;
  const out: Record<string, number> = { iteration };
  if (slash >= 0) {
    const t = Number(head.slice(slash + 1));
    if (Number.isFinite(t)) out.totalIterations = t;
  }
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    const colon = p.lastIndexOf(':');
    if (colon < 0) continue;
    const key = FIELDS[p.slice(0, colon).trim()];
    if (!key) continue;
    const v = Number(p.slice(colon + 1));
    if (Number.isFinite(v)) out[key] = v;
  }
  return out as unknown as IterationMetrics;
}

/** The longest line kept whole; longer ones are shown in pieces of this size (a log is not a place for megabyte lines). */
export const MAX_LINE_BYTES = 64 * 1024;

/**
 * Splits a byte stream into lines across chunk boundaries (UTF-8 safe). `\n`, `\r\n` and a lone
 * `\r` each end a line: progress bars (tqdm, Lightning) rewrite one line with `\r` for hours, and
 * as one line they would grow without bound. Keeps only the unfinished tail between chunks, and
 * that at most MAX_LINE_BYTES.
 */
export class LogLineSplitter {
  private rest = Buffer.alloc(0);
  private readonly decoder = new TextDecoder('utf-8');
  /** The previous chunk ended with `\r`: a `\n` opening this one belongs to it. */
  private afterCR = false;
  /** Lines cut because they ran past MAX_LINE_BYTES. */
  cut = 0;

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  /** Complete lines in `chunk` (with what was left from before); the unfinished end is kept. */
  push(input: Buffer): string[] {
    let chunk = input;
    if (this.afterCR && chunk.length > 0) {
      this.afterCR = false;
      if (chunk[0] === 10) chunk = chunk.subarray(1);
    }
    const data = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const lastLF = data.lastIndexOf(10);
    const lastCR = data.lastIndexOf(13);
    const last = Math.max(lastLF, lastCR);
    let lines: string[] = [];
    let rest = data;
    if (last >= 0) {
      rest = data.subarray(last + 1);
      if (data[last] === 13 && last === data.length - 1) this.afterCR = true;
      const end = data[last] === 10 && last > 0 && data[last - 1] === 13 ? last - 1 : last;
      const text = this.decoder.decode(data.subarray(0, end));
      // Most logs have no \r at all: the plain split is several times faster than the pattern.
      lines = lastCR < 0 ? text.split('\n') : text.split(/\r\n|\r|\n/);
    }
    while (rest.length > this.maxLineBytes) {
      let at = this.maxLineBytes;
      while (at > 0 && (rest[at] & 0xc0) === 0x80) at--; // never inside a UTF-8 character
      lines.push(this.decoder.decode(rest.subarray(0, at)));
      rest = rest.subarray(at);
      this.cut++;
    }
    this.rest = Buffer.from(rest);
    return lines;
  }

  /** What is left without a newline (the log's last, unfinished line). */
  get pending(): string {
    return this.decoder.decode(this.rest);
  }

  /** The bytes of `pending`: where the next line starts is the bytes pushed less these. */
  get pendingBytes(): number {
    return this.rest.length;
  }
}

const COLUMNS = [
  'iteration',
  'totalIterations',
  'consumedSamples',
  'elapsedMs',
  'tflopsPerGpu',
  'learningRate',
  'lmLoss',
  'gradNorm',
  'skipped',
  'nan',
] as const;

/**
 * The iterations of a log, stored column by column in growable Float64Arrays (NaN for a missing
 * field): a log of millions of iterations costs 80 bytes each, not an object each.
 */
export class MegatronMetrics {
  private columns = COLUMNS.map(() => new Float64Array(1024));
  private size = 0;

  get count(): number {
    return this.size;
  }

  /** Parses lines; returns the new iterations. */
  add(lines: readonly string[]): IterationMetrics[] {
    const added: IterationMetrics[] = [];
    for (const l of lines) {
      const m = parseIterationLine(l);
      if (m) {
        added.push(m);
        this.store(m);
      }
    }
    return added;
  }

  private store(m: IterationMetrics) {
    if (this.size === this.columns[0].length) {
      this.columns = this.columns.map((c) => {
        const next = new Float64Array(c.length * 2);
        next.set(c);
        return next;
      });
    }
    COLUMNS.forEach((k, j) => {
      this.columns[j][this.size] = m[k] ?? NaN;
    });
    this.size++;
  }

  /** All iterations as objects (for a chart that opens late); fields absent from a line stay absent. */
  get iterations(): IterationMetrics[] {
    const out: IterationMetrics[] = [];
    for (let i = 0; i < this.size; i++) {
      const m: Record<string, number> = {};
      COLUMNS.forEach((k, j) => {
        const v = this.columns[j][i];
        if (!Number.isNaN(v)) m[k] = v;
      });
      out.push(m as unknown as IterationMetrics);
    }
    return out;
  }
}
