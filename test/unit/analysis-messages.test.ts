import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  type AnalysisMessage,
  analysisMessage,
  MESSAGE_CODES,
  MESSAGE_TEMPLATES,
  messagesInWords,
  placeholders,
  renderMessage,
} from '../../src/core/analysis/messages';
import { panelView } from '../../src/core/analysis/schemas';
import { STATISTIC_NAMES } from '../../src/core/analysis/statistics';
import {
  correlationBars,
  DEFAULT_LABELS,
  panelTable,
  partialUnavailable,
  testsTable,
} from '../../src/core/analysis/views';
import { loadStudy } from '../../src/core/study/loadStudy';
import { parseMessage } from '../../src/protocol/panelProtocol';
import { type AnalysisToPage, analysisProtocol } from '../../src/protocol/panels';
import { toStudyPayload } from '../../src/protocol/studyPayload';
import { PAPER_STUDY, ROOT, tempDir } from './helpers';

const ja = JSON.parse(readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.ja.json'), 'utf8')) as Record<string, string>;
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

/** What vscode.l10n.t gives each string panelStrings.ts translates, under a Japanese display language. */
function japaneseStrings(): Record<string, string> {
  const text = readFileSync(path.join(ROOT, 'src', 'extension', 'panelStrings.ts'), 'utf8');
  const keys = [
    ...[...text.matchAll(/l10n\.t\(\s*'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1].replace(/\\'/g, "'")),
    ...[...text.matchAll(/l10n\.t\(\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\"/g, '"')),
  ];
  return Object.fromEntries(keys.map((k) => [k, ja[k] ?? k]));
}

/** The table labels panelLabels() sends under a Japanese display language. */
const japaneseLabels = Object.fromEntries(Object.entries(DEFAULT_LABELS).map(([k, v]) => [k, ja[v] ?? v]));

/** A message of every code with a distinct, recognisable value for each argument. */
function sample(code: (typeof MESSAGE_CODES)[number]): AnalysisMessage {
  const args = Object.fromEntries(placeholders(MESSAGE_TEMPLATES[code]).map((p, i) => [p, `⟨${p}:${i}⟩`]));
  return analysisMessage.parse({ code, args });
}

test('every message code renders in Japanese: a translation of its own, every argument in the text', () => {
  assert.equal(MESSAGE_CODES.length, 24);
  for (const code of MESSAGE_CODES) {
    const english = MESSAGE_TEMPLATES[code];
    assert.ok(english in ja, `${code}: no entry in l10n/bundle.l10n.ja.json`);
    assert.deepEqual(placeholders(ja[english]).sort(), placeholders(english).sort(), `${code}: placeholders differ`);
    const m = sample(code);
    const text = renderMessage(m, ja);
    assert.notEqual(text, renderMessage(m), `${code} falls back to English`);
    assert.match(text, JAPANESE, `${code}: ${text}`);
    for (const value of Object.values(m.args)) assert.ok(text.includes(String(value)), `${code}: ${value} missing`);
    assert.doesNotMatch(text, /\{\w+\}/, `${code}: a placeholder left unfilled`);
  }
});

test('messages render in English by default, exactly as the CLI has always printed them', () => {
  assert.equal(
    renderMessage({ code: 'tooFewCorpora', args: { n: 3, k: 2, df: -1 } }),
    'too few corpora: n = 3 with 2 covariates leaves n − 2 − k = -1 degrees of freedom',
  );
  assert.equal(
    renderMessage({ code: 'tooFewCorpora', args: { n: 3, k: 2, df: -1 } }, ja),
    'コーパスが少なすぎます: n = 3、共変量 2 個では自由度 n − 2 − k = -1 です',
  );
  // The CLI's JSON keeps its sentences: every message in a result, however deep, becomes its English.
  assert.deepEqual(
    messagesInWords({
      warnings: [{ code: 'scoresConstant', args: { task: 'Flat' } }],
      tests: [{ task: 'T', error: { code: 'ownCovariate', args: { statistic: 'total_tokens' } }, n: 3 }],
    }),
    {
      warnings: ['the score differences of "Flat" do not vary across corpora'],
      tests: [{ task: 'T', error: 'total_tokens cannot be its own covariate', n: 3 }],
    },
  );
});

test('a message is checked strictly: an unknown code, a missing or an extra argument is refused with its path', () => {
  const issue = (value: unknown) => {
    const r = analysisMessage.safeParse(value);
    return r.success ? 'accepted' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  };
  assert.equal(issue({ code: 'sameTest', args: { original: 'japanese_ratio', family: 'all' } }), 'accepted');
  assert.match(issue({ code: 'sameTests', args: {} }), /^code: Invalid discriminator value/);
  assert.equal(issue({ code: 'sameTest', args: { original: 'x' } }), 'args.family: Invalid input');
  assert.equal(
    issue({ code: 'sameTest', args: { original: 'x', family: 'f', sign: -1 } }),
    "args: Unrecognized key(s) in object: 'sign'",
  );
  assert.equal(issue({ code: 'notComputed', args: {}, text: 'undefined' }), ": Unrecognized key(s) in object: 'text'");
});

/** The paper study cut to its first three corpora: no interval for r (n − 3 = 0), no partial r at all. */
function threeCorpusStudy(): string {
  const dir = path.join(tempDir('three-corpora'), 'three');
  mkdirSync(dir, { recursive: true });
  const lines = (file: string) => readFileSync(path.join(PAPER_STUDY, file), 'utf8').trim().split('\n');
  writeFileSync(path.join(dir, 'composition.csv'), `${lines('composition.csv').slice(0, 4).join('\n')}\n`);
  const scores = lines('score-differences.csv').map((l) => l.split(',').slice(0, 6).join(','));
  writeFileSync(path.join(dir, 'score-differences.csv'), `${scores.join('\n')}\n`);
  return dir;
}

/** The study message as the extension posts it under a Japanese display language, after it crossed and was checked. */
async function japanesePayload(dir: string, family: 'statistic' | 'all' = 'statistic') {
  const sent: AnalysisToPage = {
    type: 'study',
    panel: 'correlations',
    study: toStudyPayload(await loadStudy(dir, { family })),
    labels: japaneseLabels,
    strings: japaneseStrings(),
  };
  const received = parseMessage(analysisProtocol.toPage, JSON.parse(JSON.stringify(sent)));
  assert.ok(received.ok, received.ok ? '' : received.error);
  return received.message;
}

test('three corpora in Japanese: why partial is unavailable, why a test has no interval, the bars left out', async () => {
  const m = await japanesePayload(threeCorpusStudy());
  const result = m.study.result;
  const why = 'コーパスが少なすぎます: n = 3、共変量 2 個では自由度 n − 2 − k = -1 です';
  assert.equal(partialUnavailable(result, 'total_tokens', m.strings), why);
  const { undefinedTasks } = correlationBars(result, 'total_tokens', 'partial', 'corrected', m.strings);
  assert.deepEqual(
    undefinedTasks.map((u) => [u.reason, u.tasks.length]),
    [[why, 27]],
  );
  // Regular mode: r exists, its Fisher-z interval does not (n − 3 = 0), and the note says so in Japanese.
  const regular = testsTable(result, 'total_tokens', 'regular', m.labels as typeof DEFAULT_LABELS, m.strings);
  assert.equal(regular.title, '相関の検定 — 総トークン数 (通常)');
  assert.equal(regular.columns.at(-1)?.label, '備考');
  assert.equal(
    regular.rows[0].at(-1),
    '95 % 信頼区間なし: Fisher の z 変換には n − 3 − k > 0 が必要ですが、ここでは 3 − 3 − 0 = 0 です',
  );
  const partial = testsTable(result, 'total_tokens', 'partial', m.labels as typeof DEFAULT_LABELS, m.strings);
  assert.equal(partial.rows[0].at(-1), why);
  // The same payload in English (no translations sent) still reads as before.
  assert.equal(
    partialUnavailable(result, 'total_tokens'),
    'too few corpora: n = 3 with 2 covariates leaves n − 2 − k = -1 degrees of freedom',
  );
});

test('the paper study in Japanese: its notes, the input warnings, a duplicate test, and the exported tests table', async () => {
  const m = await japanesePayload(PAPER_STUDY, 'all');
  // The score page's notes: how the numbers were made.
  assert.deepEqual(
    m.study.notes.map((n) => renderMessage(n, m.strings)),
    ['スコア差の出典: score-differences.csv'],
  );
  assert.deepEqual(m.study.problems, []);
  const warnings = m.study.result.warnings.map((w) => renderMessage(w, m.strings));
  assert.equal(warnings.length, 6);
  assert.equal(
    warnings[0],
    `${path.join(PAPER_STUDY, 'composition.csv')}: コーパス「EnJa-Base」の parallel_ratio_pct = 3.26 が 100 × parallel_tokens_b / total_tokens_b = 3.2 と表示精度の範囲(±0.0394)で一致しません`,
  );
  const labels = m.labels as typeof DEFAULT_LABELS;
  const tests = testsTable(m.study.result, 'english_ratio', 'partial', labels, m.strings);
  assert.equal(
    tests.rows.find((r) => r[0] === 'IgakuQA')?.at(-1),
    'japanese_ratio と同じ検定です(符号反転): ファミリー all では一度だけ計上',
  );
  // What Export CSV / LaTeX writes is built by the same function with the same strings.
  const exported = panelTable(
    m.study,
    'tests',
    panelView.parse({ statistic: 'english_ratio', mode: 'partial' }),
    labels,
    m.strings,
  );
  assert.equal(exported.title, `相関の検定 — ${ja[STATISTIC_NAMES.english_ratio]} (偏)`);
  assert.deepEqual(exported.rows, tests.rows);
});
