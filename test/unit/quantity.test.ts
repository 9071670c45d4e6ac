import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSignedTokens, formatTokens, parseTokenQuantity } from '../../src/core/recipe/quantity';

test('token quantities parse exactly from their decimal text', () => {
  const cases: [unknown, number][] = [
    ['27.76B', 27_760_000_000],
    ['350M', 350_000_000],
    ['12k', 12_000],
    ['2T', 2_000_000_000_000],
    ['0.48B', 480_000_000],
    ['5.00921B', 5_009_210_000],
    [' 7 ', 7],
    ['1.50K', 1_500],
    [1234, 1234],
    ['007', 7],
    [0, 0],
  ];
  for (const [input, tokens] of cases) assert.deepEqual(parseTokenQuantity(input), { ok: true, tokens }, String(input));
});

test('bad token quantities say what is wrong', () => {
  const cases: [unknown, string][] = [
    ['1.2345K', 'token quantity "1.2345K" is not a whole number of tokens'],
    ['5X', 'invalid token quantity "5X": expected a number of tokens or a string like "27.76B", "350M", "12K"'],
    ['-1B', 'invalid token quantity "-1B": expected a number of tokens or a string like "27.76B", "350M", "12K"'],
    [-3, 'token count must be a non-negative number, got -3'],
    [Infinity, 'token count must be a non-negative number, got Infinity'],
    [2.5, 'token count must be a whole number of tokens, got 2.5; write "2.5B" for billions'],
    ['99999999999T', 'token quantity "99999999999T" is too large'],
    [true, 'token count must be a number or a string like "27.76B" or "350M", got boolean true'],
  ];
  for (const [input, message] of cases)
    assert.deepEqual(parseTokenQuantity(input), { ok: false, message }, String(input));
});

test('token counts format compactly', () => {
  assert.equal(formatTokens(27_760_000_000), '27.76B');
  assert.equal(formatTokens(488_800_000), '488.80M');
  assert.equal(formatTokens(1_500), '1.50K');
  assert.equal(formatTokens(950), '950');
  assert.equal(formatTokens(3e12), '3.00T');
  assert.equal(formatSignedTokens(-1_757_030_000), '−1.76B');
  assert.equal(formatSignedTokens(13_878_275_000), '+13.88B');
  assert.equal(formatSignedTokens(0), '±0');
});
