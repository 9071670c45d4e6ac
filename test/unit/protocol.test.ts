import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { type AnalysisResult, analyze } from '../../src/core/analysis/analyze';
import { analysisResult, CHART_IDS, panelView, TABLE_IDS } from '../../src/core/analysis/schemas';
import { parseCompositionCsv, parseScoreCsv } from '../../src/core/analysis/tables';
import { exportStem, panelTable } from '../../src/core/analysis/views';
import { MegatronMetrics } from '../../src/core/logs/megatronLog';
import { MAX_SMOOTHING, smoothEma } from '../../src/core/logs/smoothing';
import { figureStem } from '../../src/core/report/figure';
import { loadStudy } from '../../src/core/study/loadStudy';
import { parseMessage, readyMessage } from '../../src/protocol/panelProtocol';
import { analysisProtocol, PANEL_STRINGS, type StudyPayload } from '../../src/protocol/panels';
import { toStudyPayload } from '../../src/protocol/studyPayload';
import { appendMessages, TRAINING_STRINGS, trainingProtocol, trainingView } from '../../src/protocol/training';
import { FIXTURES, PAPER_STUDY, ROOT } from './helpers';

const view = panelView.parse({});

/** What postMessage does to a message: plain JSON (undefined fields vanish, nothing else changes). */
const crossing = <T>(value: T): unknown => JSON.parse(JSON.stringify(value));

/** Every key path of a value (array elements as `[]`), to see which fields a set of results exercises. */
function keyPaths(value: unknown, at = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keyPaths(v, `${at}[]`, out);
  // A message of the analysis (code and arguments) is one field: its own schema checks its inside.
  else if (value !== null && typeof value === 'object' && !('code' in value && 'args' in value)) {
    for (const [k, v] of Object.entries(value)) {
      const p = `${at}.${k}`;
      out.add(p);
      // Records keyed by data (corpora, statistics, task|corpus) are one path each, not one per key.
      keyPaths(v, /\.(averages\.\w+|covariates|provenance)$/.test(p) ? `${p}.*` : p, out);
    }
  }
  return out;
}

/** Every key path a schema declares (array elements as `[]`); records keyed by data end the path. */
function schemaPaths(schema: z.ZodTypeAny, at = ''): string[] {
  if (schema instanceof z.ZodReadonly || schema instanceof z.ZodOptional || schema instanceof z.ZodNullable)
    return schemaPaths(schema.unwrap(), at);
  if (schema instanceof z.ZodDefault) return schemaPaths(schema.removeDefault(), at);
  if (schema instanceof z.ZodArray) return schemaPaths(schema.element, `${at}[]`);
  if (schema instanceof z.ZodObject)
    return Object.entries(schema.shape as Record<string, z.ZodTypeAny>).flatMap(([k, v]) => [
      `${at}.${k}`,
      ...schemaPaths(v, `${at}.${k}`),
    ]);
  return [];
}

function synthetic(): { name: string; result: AnalysisResult }[] {
  const { studies } = JSON.parse(readFileSync(path.join(FIXTURES, 'analysis', 'synthetic-reference.json'), 'utf8')) as {
    studies: { name: string; composition: string; scores: string }[];
  };
  return studies.map((s) => ({
    name: s.name,
    result: analyze(
      parseCompositionCsv(`${s.name}/composition.csv`, s.composition),
      parseScoreCsv(`${s.name}/scores.csv`, s.scores),
      { permutationSamples: 99, family: 'all' },
    ),
  }));
}

/** The paper study cut to its first three corpora: no interval for r (n − 3 = 0), no partial r at all. */
function threeCorpora(): AnalysisResult {
  const lines = (file: string) => readFileSync(path.join(PAPER_STUDY, file), 'utf8').trim().split('\n');
  const composition = lines('composition.csv').slice(0, 4).join('\n');
  const scores = lines('score-differences.csv')
    .map((l) => l.split(',').slice(0, 6).join(','))
    .join('\n');
  return analyze(parseCompositionCsv('composition.csv', composition), parseScoreCsv('scores.csv', scores));
}

function payloadOf(name: string, result: AnalysisResult): StudyPayload {
  return {
    name,
    source: 'test',
    corpora: result.corpora,
    tasks: [],
    result,
    tableOne: null,
    notes: [],
    problems: [],
    provenance: {},
  };
}

test('every field of real analysis results reaches the page: the payload crosses and passes its check unchanged', async () => {
  const paper = toStudyPayload(await loadStudy(PAPER_STUDY));
  const payloads = [paper, payloadOf('three', threeCorpora()), ...synthetic().map((s) => payloadOf(s.name, s.result))];
  const seen = new Set<string>();
  for (const study of payloads) {
    const sent = crossing({ type: 'study', panel: 'correlations', study, labels: {}, strings: {} });
    const received = parseMessage(analysisProtocol.toPage, sent);
    assert.ok(received.ok, `${study.name}: ${received.ok ? '' : received.error}`);
    // Nothing dropped, nothing added, nothing changed on the way.
    assert.deepEqual(crossing(received.message), sent, study.name);
    keyPaths(crossing(study.result), '', seen);
  }
  // These results exercise every field the schema declares (optional ones included), so each was seen crossing.
  const declared = schemaPaths(analysisResult);
  assert.equal(declared.length, 66);
  assert.ok(declared.includes('.tests[].partial.ciError') && declared.includes('.tests[].duplicateOf.sign'));
  const inResults = [...seen].filter((p) => !p.includes('.*'));
  assert.deepEqual(inResults.sort(), declared.sort());
});

test('a field the page does not know is refused, naming where it is (no silent drop)', async () => {
  const study = toStudyPayload(await loadStudy(PAPER_STUDY));
  const withExtra = (patch: (s: Record<string, unknown>) => void) => {
    const s = crossing(study) as Record<string, unknown>;
    patch(s);
    return parseMessage(analysisProtocol.toPage, { type: 'study', panel: 'scores', study: s, labels: {}, strings: {} });
  };
  const cases: [(s: Record<string, unknown>) => void, string][] = [
    [
      (s) => {
        (s.result as Record<string, unknown>).effectSizes = [];
      },
      "study.result: Unrecognized key(s) in object: 'effectSizes'",
    ],
    [
      (s) => {
        ((s.result as { tests: Record<string, unknown>[] }).tests[3] as Record<string, unknown>).df = 4;
      },
      "study.result.tests.3: Unrecognized key(s) in object: 'df'",
    ],
    [
      (s) => {
        (s.tasks as Record<string, unknown>[])[0].unit = 'accuracy';
      },
      "study.tasks.0: Unrecognized key(s) in object: 'unit'",
    ],
  ];
  for (const [patch, error] of cases) assert.deepEqual(withExtra(patch), { ok: false, error });
});

test('analysis messages: bad ones are refused with the field named; ready is the transport’s own', async () => {
  const study = toStudyPayload(await loadStudy(PAPER_STUDY));
  const ok = parseMessage(analysisProtocol.toPage, { type: 'study', panel: 'scores', study, labels: {}, strings: {} });
  assert.ok(ok.ok);
  assert.deepEqual(parseMessage(readyMessage, { type: 'ready' }), { ok: true, message: { type: 'ready' } });
  const cases: [unknown, string][] = [
    [
      { type: 'launchMissiles' },
      "type: Invalid discriminator value. Expected 'exportTable' | 'exportChart' | 'exportSvg'",
    ],
    [
      { type: 'exportTable', table: 'passwords', format: 'csv', view },
      "table: Invalid enum value. Expected 'scores' | 'averages' | 'tableOne' | 'tests', received 'passwords'",
    ],
    [
      { type: 'exportTable', table: 'scores', format: 'docx', view },
      "format: Invalid enum value. Expected 'csv' | 'latex', received 'docx'",
    ],
    [
      { type: 'exportChart', chart: 'bars', view, dataUrl: 'javascript:alert(1)' },
      'dataUrl: expected a base64 PNG data URL',
    ],
    [
      { type: 'exportSvg', chart: 'pie', view, svg: '<svg/>' },
      "chart: Invalid enum value. Expected 'averages' | 'bars' | 'statisticsHeatmap' | 'tasksHeatmap', received 'pie'",
    ],
    [{ type: 'exportSvg', chart: 'bars', view }, 'svg: Required'],
    [
      { type: 'exportSvg', chart: 'bars', view, svg: '<svg/>', href: 'file:///etc/passwd' },
      "(message): Unrecognized key(s) in object: 'href'",
    ],
    [
      { type: 'exportTable', table: 'tests', format: 'csv', view: { ...view, statistic: 'vibes' } },
      "view.statistic: Invalid enum value. Expected 'total_tokens' | 'japanese_tokens' | 'english_tokens' | " +
        "'parallel_tokens' | 'japanese_ratio' | 'english_ratio' | 'parallel_ratio', received 'vibes'",
    ],
    [
      { type: 'exportTable', table: 'tests', format: 'csv', view, path: '/etc/passwd' },
      "(message): Unrecognized key(s) in object: 'path'",
    ],
    [null, '(message): Expected object, received null'],
  ];
  for (const [m, error] of cases) assert.deepEqual(parseMessage(analysisProtocol.toHost, m), { ok: false, error });
  const nan = parseMessage(analysisProtocol.toPage, {
    type: 'study',
    panel: 'scores',
    study: { ...study, tasks: [{ ...study.tasks[0], values: [NaN] }] },
    labels: {},
    strings: {},
  });
  assert.deepEqual(nan, { ok: false, error: 'study.tasks.0.values.0: Expected number, received nan' });
});

test('every table and chart id the protocol accepts is one the core can build and name', async () => {
  const study = toStudyPayload(await loadStudy(PAPER_STUDY));
  assert.deepEqual(
    TABLE_IDS.map((id) => panelTable(study, id, view).title),
    [
      'Score differences (after − before continued pretraining)',
      'Average score differences',
      'Average scores after continued pretraining and SFT (Table 1)',
      'Correlation tests — Total token count (partial)',
    ],
  );
  assert.deepEqual(
    TABLE_IDS.map((id) => exportStem(id, view)),
    ['scores', 'averages', 'table-1', 'tests-total_tokens-partial'],
  );
  assert.deepEqual(
    CHART_IDS.map((id) => figureStem(id, view)),
    ['averages', 'bars-total_tokens-partial-p-corrected', 'heatmap-statistics', 'heatmap-tasks'],
  );
});

test('the panel view: its defaults, and a stale or foreign key refused', () => {
  assert.deepEqual(view, {
    statistic: 'total_tokens',
    mode: 'partial',
    pKind: 'corrected',
    allStatistics: false,
    descending: true,
    grouped: true,
    lightFigures: true,
  });
  assert.equal(panelView.safeParse({ colour: 'red' }).success, false);
  assert.deepEqual(trainingView.parse({}), { smoothing: 0.6, logLoss: false });
  assert.equal(trainingView.safeParse({ smoothing: 1 }).success, false);
});

const MEGATRON_LINES = [
  ' [2024-06-01 12:00:00] iteration        1/      12 | consumed samples:         1024 | elapsed time per iteration (ms): 5000.0 | throughput per GPU (TFLOP/s/GPU): 180.5 | learning rate: 1.500000E-05 | global batch size:  1024 | lm loss: 1.123456E+01 | loss scale: 1.0 | grad norm: 12.345 | number of skipped iterations:   0 | number of nan iterations:   0 |',
  ' [2024-06-01 12:00:05] iteration        2/      12 | consumed samples:         2048 | elapsed time per iteration (ms): 4900.0 | throughput per GPU (TFLOP/s/GPU): 184.2 | learning rate: 3.000000E-05 | global batch size:  1024 | lm loss: 1.098765E+01 | loss scale: 1.0 | grad norm: 9.5 | number of skipped iterations:   0 | number of nan iterations:   0 |',
];

test('training messages: the parsed iterations, grad norm and learning rate included, cross unchanged', () => {
  const metrics = new MegatronMetrics();
  const iterations = metrics.add(MEGATRON_LINES);
  assert.deepEqual(iterations[1], {
    iteration: 2,
    totalIterations: 12,
    consumedSamples: 2048,
    elapsedMs: 4900,
    tflopsPerGpu: 184.2,
    learningRate: 3e-5,
    lmLoss: 10.98765,
    gradNorm: 9.5,
    skipped: 0,
    nan: 0,
  });
  const sent = crossing({ type: 'reset', job: 'j1', title: 'study/cpt/A', state: 'RUNNING', iterations, strings: {} });
  const received = parseMessage(trainingProtocol.toPage, sent);
  assert.ok(received.ok);
  assert.deepEqual(crossing(received.message), sent);
  assert.deepEqual(
    parseMessage(trainingProtocol.toPage, { type: 'append', iterations: [{ iteration: 3, lmLoss: 'low' }] }),
    { ok: false, error: 'iterations.0.lmLoss: Expected number, received string' },
  );
  assert.deepEqual(parseMessage(trainingProtocol.toHost, { type: 'exportChart', dataUrl: 'data:text/html,<b>' }), {
    ok: false,
    error: 'dataUrl: expected a base64 PNG data URL',
  });
});

test('EMA smoothing as TensorBoard does it: debiased, exact values, gaps passed through', () => {
  // s₁ = 0.5, s₂ = 0.25 + 1 = 1.25, s₃ = 0.625 + 1.5 = 2.125; divided by 1 − 0.5ᵏ.
  assert.deepEqual(smoothEma([1, 2, 3], 0.5), [1, 1.25 / 0.75, 2.125 / 0.875]);
  assert.deepEqual(smoothEma([1, 2, 3], 0), [1, 2, 3]);
  // A gap (NaN) is shown as a gap and does not count towards the debiasing.
  assert.deepEqual(smoothEma([4, Number.NaN, 2], 0.5), [4, Number.NaN, (0.5 * 2 + 1) / 0.75]);
  // A constant curve stays exactly constant (no rounding drift from the division).
  assert.deepEqual(smoothEma([0.1, 0.1, 0.1], 0.9), [0.1, 0.1, 0.1]);
  assert.deepEqual(smoothEma([], 0.6), []);
  assert.throws(() => smoothEma([1], 1), /the smoothing weight must be in \[0, 0\.99\], got 1/);
  assert.throws(() => smoothEma([1], -0.1), /got -0\.1/);
  assert.equal(MAX_SMOOTHING, 0.99);
});

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Relative imports that are not type-only: what a bundle pulls in. */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]);
}

function resolveTs(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec.replace(/\.js$/, ''));
  return `${base}.ts`;
}

test('a page imports only webview/ and src/protocol/, and nothing it bundles needs Node', () => {
  const webview = path.join(ROOT, 'webview');
  const protocol = path.join(ROOT, 'src', 'protocol');
  const outside: string[] = [];
  const nodeOnly: string[] = [];
  const seen = new Set<string>();
  const queue = sources(webview);
  for (const f of queue) {
    for (const spec of valueImports(f)) {
      if (!spec.startsWith('.')) {
        if (spec.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'vscode'].includes(spec))
          nodeOnly.push(`${path.relative(ROOT, f)} → ${spec}`);
        continue;
      }
      const target = resolveTs(f, spec);
      if (f.startsWith(webview) && !target.startsWith(webview) && !target.startsWith(protocol))
        outside.push(`${path.relative(ROOT, f)} → ${spec}`);
      if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  assert.deepEqual(outside, []);
  assert.deepEqual(nodeOnly, []);
  // The walk did reach into the core through the door (the views, the schemas, the smoothing).
  assert.ok(seen.has(path.join(ROOT, 'src', 'core', 'analysis', 'views.ts')));
  assert.ok(seen.has(path.join(ROOT, 'src', 'core', 'logs', 'smoothing.ts')));
  // And the guard sees a Node import where there is one.
  assert.deepEqual(valueImports(path.join(ROOT, 'src', 'core', 'study', 'loadStudy.ts')).slice(0, 2), [
    'node:fs/promises',
    'node:path',
  ]);
});

test('a long log read at once reaches the training page in appends it accepts, every iteration once, in order', () => {
  const iterations = Array.from({ length: 250_001 }, (_, i) => ({ iteration: i + 1, lmLoss: 2 + 1 / (i + 1) }));
  // One message of them all is more than the page takes in at once.
  assert.equal(parseMessage(trainingProtocol.toPage, { type: 'append', iterations }).ok, false);
  const messages = appendMessages(iterations);
  assert.deepEqual(
    messages.map((m) => (m.type === 'append' ? m.iterations.length : -1)),
    [100_000, 100_000, 50_001],
  );
  for (const m of messages) assert.ok(parseMessage(trainingProtocol.toPage, m).ok);
  assert.deepEqual(
    messages.flatMap((m) => (m.type === 'append' ? m.iterations : [])),
    iterations,
  );
  assert.deepEqual(appendMessages([]), []);
});

test('every text the training page shows is one of its translated strings', () => {
  // The page and the curve controls it shares with Compare Runs.
  const page = ['training.ts', 'lib/curveControls.ts']
    .map((f) => readFileSync(path.join(ROOT, 'webview', f), 'utf8'))
    .join('\n');
  const used = [...page.matchAll(/\bt\(strings, '([^']+)'/g)].map((m) => m[1]);
  assert.ok(used.length >= 8, `found ${used.length}`);
  assert.deepEqual(
    used.filter((s) => !(TRAINING_STRINGS as readonly string[]).includes(s)),
    [],
  );
  const ja = JSON.parse(readFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.ja.json'), 'utf8')) as Record<string, string>;
  assert.deepEqual(
    [...TRAINING_STRINGS, ...PANEL_STRINGS].filter((s) => !(s in ja)),
    [],
  );
});
