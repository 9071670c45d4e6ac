import type { InspectedSample, Inspection } from './datasetInspection';

const BAR = 40;
const n = (x: number) => x.toLocaleString('en-US');

/** The inspection as plain text: the CLI prints it and the editor shows it as a read-only document. */
export function formatInspection(r: Inspection): string {
  const d = r.distribution;
  const out: string[] = [];
  out.push(`dataset    ${r.prefix}${r.location === 'local' ? '' : `  (on ${r.location})`}`);
  out.push(`documents  ${n(d.documents)}`);
  out.push(`sequences  ${n(d.sequences)}`);
  out.push(`tokens     ${n(d.tokens)}  (${d.dtype})`);
  if (d.meanTokens !== null) out.push(`mean       ${d.meanTokens.toFixed(1)} tokens per document`);
  out.push('');
  if (d.histogram.length > 0) {
    out.push('document length in tokens (bins of a quarter doubling: a log axis)');
    const top = Math.max(...d.histogram.map((b) => b.count));
    const width = Math.max(...d.histogram.map((b) => `${n(b.lower)}–${n(b.upper - 1)}`.length));
    for (const b of d.histogram) {
      const label = b.upper - b.lower === 1 ? n(b.lower) : `${n(b.lower)}–${n(b.upper - 1)}`;
      const bar = '█'.repeat(Math.max(b.count > 0 ? 1 : 0, Math.round((BAR * b.count) / top)));
      out.push(`  ${label.padStart(width)} │${bar.padEnd(BAR)} ${n(b.count)}`);
    }
    out.push('');
    out.push(`percentiles  ${d.percentiles.map((p) => `p${p.p} ${p.exact ? '' : '≥'}${n(p.tokens)}`).join('  ')}`);
    out.push(`shortest     ${d.shortest.map((x) => `#${x.document} (${n(x.tokens)})`).join('  ')}`);
    out.push(`longest      ${d.longest.map((x) => `#${x.document} (${n(x.tokens)})`).join('  ')}`);
    out.push('');
  }
  if (r.language) {
    const v = r.language.verdict;
    const s = v.shares;
    const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);
    out.push(
      `language   declared ${r.language.declared}; samples: Japanese script ${pct(s.japaneseShare)}, Latin ${pct(s.latinShare)}`,
    );
    out.push(
      `           ${v.agrees === true ? 'agrees with the declaration' : v.agrees === false ? `DISAGREES: ${v.reason}` : `undecided: ${v.reason}`}`,
    );
    out.push('');
  }
  if (r.samples.length > 0) {
    out.push(
      `${r.samples.length} sample document${r.samples.length === 1 ? '' : 's'}${r.tokenizer ? `, decoded with the ${r.tokenizer} tokenizer` : ' (no tokenizer: token ids)'}`,
    );
    for (const s of r.samples) out.push('', sampleHeading(s), s.text ?? s.ids.join(' '));
  }
  return `${out.join('\n')}\n`;
}

export function sampleHeading(s: InspectedSample): string {
  const scripts =
    s.scripts && s.scripts.japaneseShare !== null
      ? `, Japanese ${(100 * s.scripts.japaneseShare).toFixed(0)} % / Latin ${(100 * s.scripts.latinShare!).toFixed(0)} %`
      : '';
  return `── document ${n(s.document)}: ${n(s.tokens)} tokens, bytes ${n(s.byteStart)}–${n(s.byteEnd)} of the .bin${scripts} ──`;
}
