import assert from 'node:assert/strict';
import { test } from 'node:test';
import { displayLine } from '../../src/core/logs/displayText';
import { LogLineSplitter, MAX_LINE_BYTES } from '../../src/core/logs/megatronLog';

const feed = (s: LogLineSplitter, data: Buffer, size: number) => {
  const out: string[] = [];
  for (let i = 0; i < data.length; i += size) out.push(...s.push(data.subarray(i, Math.min(data.length, i + size))));
  return out;
};

test('a lone \\r ends a line (progress bars), \\r\\n is one end even split across chunks, at every chunk size', () => {
  const text = Buffer.from('Epoch 0:  10%|█ | 1/10\rEpoch 0:  20%|██| 2/10\rdone\r\nnext line\n\rafter\nunfinished 三');
  for (const size of [1, 2, 3, 5, 7, 64]) {
    const s = new LogLineSplitter();
    assert.deepEqual(
      feed(s, text, size),
      ['Epoch 0:  10%|█ | 1/10', 'Epoch 0:  20%|██| 2/10', 'done', 'next line', '', 'after'],
      `chunks of ${size}`,
    );
    assert.equal(s.pending, 'unfinished 三');
  }
});

test('a line without an end is cut at MAX_LINE_BYTES, never inside a UTF-8 character; memory stays bounded', () => {
  const s = new LogLineSplitter();
  // 3-byte characters: MAX_LINE_BYTES (65536) is not a multiple of 3, so the cut must step back.
  const long = Buffer.from('語'.repeat(50_000));
  const out = feed(s, long, 4096);
  assert.deepEqual(
    out.map((l) => l.length),
    [21845, 21845],
  );
  assert.ok(out.every((l) => /^語+$/.test(l)));
  assert.equal(s.cut, 2);
  assert.equal(s.pending.length, 50_000 - 2 * 21845);
  assert.ok(Buffer.byteLength(s.pending) <= MAX_LINE_BYTES);
  // 32 MiB of one progress line that never ends (no \r, no \n): pieces come out as it grows.
  const bar = new LogLineSplitter();
  const chunk = Buffer.alloc(1 << 20, 0x3d);
  let pieces = 0;
  for (let i = 0; i < 32; i++) pieces += bar.push(chunk).length;
  // Each piece is 64 KiB; the last 64 KiB are still waiting for their end.
  assert.equal(pieces, 511);
  assert.equal(bar.pending.length, MAX_LINE_BYTES);
});

test('display: escape sequences dropped, control characters made visible, bidi overrides named, tabs and text kept', () => {
  assert.equal(displayLine('plain 日本語\tline'), 'plain 日本語\tline');
  assert.equal(displayLine('\x1b[31mred\x1b[0m \x1b[2K\x1b]0;title\x07done'), 'red done');
  assert.equal(displayLine('bell\x07 nul\x00 del\x7f cr\r'), 'bell␇ nul␀ del␡ cr␍');
  assert.equal(
    displayLine('access = "user\u202e \u2066// admin\u2069\u2066"'),
    'access = "user⟨U+202E⟩ ⟨U+2066⟩// admin⟨U+2069⟩⟨U+2066⟩"',
  );
  assert.equal(displayLine('c1 \x9b31m'), 'c1 ⟨U+009B⟩31m');
});
