import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { ClusterConnection } from '../../src/core/cluster/connection';
import { uploadAtomic } from '../../src/core/cluster/sftp';
import { missingDatasets } from '../../src/core/jobs/datasetCheck';
import type { JobService } from '../../src/core/jobs/jobService';
import { jobSettingsSchema, prepareStudy, type StudyLaunch } from '../../src/core/jobs/studyLaunch';
import { encodeIndex } from '../../src/core/megatron/indexedDataset';
import { exportBlend } from '../../src/core/recipe/blend';
import { RecipeCatalog } from '../../src/core/recipe/catalog';
import { CountCache, loadCountCache, saveCountCache } from '../../src/core/recipe/countCache';
import { countDatasetsOnCluster } from '../../src/core/recipe/recipeCounts';
import { mixedCounts } from '../../src/core/recipe/report';
import { shippedTemplates } from '../unit/helpers';
import { connection, type LoopbackCluster, loopbackCluster } from './cluster';

/** Counts of datasets on the loopback cluster: kept across a reload, and never mixed or lost without a word. */
const run = `k${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
let c: LoopbackCluster;
let conn: ClusterConnection;
let scratch: string;
let root: string;

const RECIPE = [
  'name: Remote',
  'tokenizer: t',
  'sources:',
  '  - id: ja-medical',
  '    language: ja',
  '    origin: original',
  '    megatron: ja/medical_text_document',
  '  - id: en-gone',
  '    language: en',
  '    origin: original',
  '    tokens: 900M',
  '    megatron: en/gone_text_document',
  '',
].join('\n');

before(async () => {
  c = loopbackCluster();
  conn = connection(c);
  scratch = mkdtempSync(path.join(tmpdir(), 'corpus-lab-counts-'));
  root = `${c.home}/counts-${run}`;
  const sftp = await conn.files();
  await uploadAtomic(sftp, encodeIndex([1000, 2000, 500], [0, 3]), `${root}/ja/medical_text_document.idx`);
  await uploadAtomic(sftp, Buffer.alloc(2 * 3500), `${root}/ja/medical_text_document.bin`);
});

after(async () => {
  await conn?.exec(['rm', '-rf', '--', root]).catch(() => undefined);
  conn?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

function catalogOf(cache?: CountCache) {
  const catalog = new RecipeCatalog(cache);
  catalog.update(path.join(scratch, 'remote.recipe.yaml'), RECIPE);
  return catalog;
}

test('a dataset missing on the cluster is named where a declared count stands in, the recipe says its counts are mixed, and a launch is refused', async () => {
  const catalog = catalogOf();
  const { counts, problems } = await countDatasetsOnCluster(conn, catalog.remoteDatasets(root));
  assert.deepEqual(problems, [`${root}/en/gone_text_document.idx: no such file on the cluster`]);
  catalog.setRemoteCounts(counts);
  const set = await catalog.resolve();
  assert.deepEqual(
    set.diagnostics.map((d) => [d.severity, d.range.start.line + 1, d.message]),
    [
      [
        'warning',
        12,
        `cannot count tokens of "en/gone_text_document": on loopback: ${root}/en/gone_text_document.idx: no such file on the cluster; the declared 900.00M stands in`,
      ],
    ],
  );
  const recipe = set.recipes.get('Remote')!;
  assert.equal(mixedCounts(recipe), 'counts: 1 exact, 1 declared');

  // The blend still names the missing dataset, and Launch Study's check refuses it before any sbatch.
  const blend = exportBlend(recipe, root);
  assert.ok(blend.ok);
  assert.deepEqual(
    blend.entries.map((e) => [e.weight, e.prefix]),
    [
      [3500, `${root}/ja/medical_text_document`],
      [900e6, `${root}/en/gone_text_document`],
    ],
  );
  const { launch, prepared } = await cptLaunch(
    blend.entries.flatMap((e) => [String(e.weight), e.prefix]),
    recipe.statistics.total,
  );
  assert.deepEqual(await missingDatasets(await conn.files(), launch, prepared, c.home), [
    `cpt/Remote: the blend's dataset ${root}/en/gone_text_document is missing on the cluster (no ${root}/en/gone_text_document.idx)`,
  ]);
  // An index without its .bin is missing too; a $HOME-relative prefix is looked for under the home.
  const sftp = await conn.files();
  await uploadAtomic(sftp, encodeIndex([7], [0, 1]), `${root}/en/gone_text_document.idx`);
  const home = `$HOME/${path.posix.relative(c.home, root)}`;
  const fromHome = {
    ...launch,
    recipes: [
      {
        ...launch.recipes[0],
        dataPath: ['1', `${home}/ja/medical_text_document`, '1', `${home}/en/gone_text_document`],
      },
    ],
  };
  assert.deepEqual(await missingDatasets(sftp, fromHome, prepared, c.home), [
    `cpt/Remote: the blend's dataset ${root}/en/gone_text_document is missing on the cluster (no ${root}/en/gone_text_document.bin)`,
  ]);
  await conn.exec(['rm', '-f', '--', `${root}/en/gone_text_document.idx`]);
});

test('a count read on the cluster survives a reload (a new catalog and connection): reused while its files are unchanged, read again when one changes', async () => {
  const cacheFile = path.join(scratch, 'storage', 'token-counts.json');
  const first = catalogOf(new CountCache());
  const counted = await countDatasetsOnCluster(conn, first.remoteDatasets(root), { cache: first.cache });
  assert.deepEqual(counted.reused, []);
  assert.deepEqual(counted.counts.get(path.join(scratch, 'ja', 'medical_text_document')), {
    ok: true,
    tokens: 3500,
    onCluster: 'loopback',
  });
  await saveCountCache(cacheFile, first.cache);

  // "Reload": a new catalog from the file, before any connection — the exact count stands in at once.
  const loaded = await loadCountCache(cacheFile);
  assert.equal(loaded.problem, undefined);
  const second = catalogOf(loaded.cache);
  second.setDataCluster({ cluster: 'loopback', dataRoot: root });
  const ja = (await second.resolve()).recipes.get('Remote')!.sources.find((s) => s.id === 'ja-medical')!;
  assert.equal(ja.tokensFrom, 'cluster');
  assert.equal(ja.tokens, 3500);
  assert.match(ja.countedAt!, /^\d{4}-\d\d-\d\dT/);

  // Counting again on a new connection: one stat batch finds the files unchanged; only the absent one is read.
  const again = connection(c);
  try {
    const recount = await countDatasetsOnCluster(again, second.remoteDatasets(root), { cache: second.cache });
    assert.deepEqual(recount.reused, [`${root}/ja/medical_text_document`]);
    assert.deepEqual(recount.problems, [`${root}/en/gone_text_document.idx: no such file on the cluster`]);
    assert.equal(
      (recount.counts.get(path.join(scratch, 'ja', 'medical_text_document')) as { tokens: number }).tokens,
      3500,
    );

    // The dataset rewritten on the cluster (another size): read again, and the cache holds the new count.
    const sftp = await again.files();
    const medical = `${root}/ja/medical_text_document`;
    const before = second.cache.clusterCount('loopback', medical)!;
    const launch = await cptLaunch(['1', medical], 3500, (prefix) => second.cache.clusterCount('loopback', prefix));
    assert.deepEqual(await missingDatasets(sftp, launch.launch, launch.prepared, c.home), []);
    await uploadAtomic(sftp, encodeIndex([1000, 2000, 500, 1], [0, 4]), `${root}/ja/medical_text_document.idx`);
    await uploadAtomic(sftp, Buffer.alloc(2 * 3501), `${root}/ja/medical_text_document.bin`);
    // Before counting again, a launch is refused: its blend's weights came from the files that were.
    const idxNow = (await sftp.stat(`${medical}.idx`)).size;
    assert.deepEqual(await missingDatasets(sftp, launch.launch, launch.prepared, c.home), [
      `cpt/Remote: ${medical}.bin changed on the cluster since its tokens were counted (${before.countedAt}: ${before.bin.size} bytes, now ${2 * 3501}): the blend's weights came from that count; count again (Count Dataset Tokens on Cluster)`,
      `cpt/Remote: ${medical}.idx changed on the cluster since its tokens were counted (${before.countedAt}: ${before.idx.size} bytes, now ${idxNow}): the blend's weights came from that count; count again (Count Dataset Tokens on Cluster)`,
    ]);
    const changed = await countDatasetsOnCluster(again, second.remoteDatasets(root), { cache: second.cache });
    assert.deepEqual(changed.reused, []);
    assert.equal(
      (changed.counts.get(path.join(scratch, 'ja', 'medical_text_document')) as { tokens: number }).tokens,
      3501,
    );
    assert.equal(second.cache.clusterCount('loopback', `${root}/ja/medical_text_document`)?.tokens, 3501);
  } finally {
    again.dispose();
  }
});

/** A one-recipe study of CPT on `dataPath`, prepared; `counted` as the editor passes its count cache. */
async function cptLaunch(dataPath: string[], totalTokens: number, counted?: StudyLaunch['counted']) {
  const launch: StudyLaunch = {
    study: run,
    cluster: 'loopback',
    includeBase: false,
    settings: jobSettingsSchema.parse({}),
    templates: await shippedTemplates(),
    resultsDir: `${root}/results`,
    recipes: [{ name: 'Remote', dataPath, totalTokens }],
    counted,
  };
  return { launch, prepared: await prepareStudy({ remoteRoot: async () => root } as unknown as JobService, launch) };
}
