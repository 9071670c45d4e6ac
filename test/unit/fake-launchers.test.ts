import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { parseIterationLine } from '../../src/core/logs/megatronLog';
import { encodeIndex } from '../../src/core/megatron/indexedDataset';
import { FIXTURES, ROOT, tempDir } from './helpers';

/**
 * The stand-ins in test/cluster/fake hold the real tools' contracts (test/cluster/fake/contracts/README.md).
 * Each test runs one as the cluster would (python3, stdlib only) and checks what upstream accepts,
 * refuses, writes and prints, with upstream's messages.
 */
const FAKE = path.join(ROOT, 'test', 'cluster', 'fake');
const MEGATRON = path.join(FAKE, 'Megatron-LM', 'pretrain_gpt.py');
const CONVERT = path.join(FAKE, 'Megatron-LM', 'tools', 'checkpoint', 'convert.py');
const SFT = path.join(FAKE, 'NeMo', 'examples', 'nlp', 'language_modeling', 'tuning', 'megatron_gpt_finetuning.py');
const HF_TO_NEMO = path.join(FAKE, 'NeMo', 'scripts', 'checkpoint_converters', 'convert_llama_hf_to_nemo.py');
const NEMO_TO_HF = path.join(FAKE, 'NeMo', 'scripts', 'checkpoint_converters', 'convert_llama_nemo_to_hf.py');
const MED_EVAL = path.join(FAKE, 'med-eval');

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function run(script: string, args: string[], env: Record<string, string> = {}): Run {
  // A clean environment: no Slurm or torchrun variables leak in from whoever runs the tests.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(SLURM_|WORLD_SIZE$|RANK$|LOCAL_RANK$)/.test(k)),
  );
  const r = spawnSync('python3', [script, ...args], { encoding: 'utf8', env: { ...base, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function ok(r: Run): Run {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.out}\n${r.err}`);
  return r;
}

function lineage(dir: string): string[] {
  return JSON.parse(readFileSync(path.join(dir, 'corpus_lab_lineage.json'), 'utf8')) as string[];
}

// The score rule of test/cluster/fake/corpus_lab_fake/lineage.py, recomputed here.
function hash(lin: string[], task: string, shots: number, suffix = ''): number {
  return parseInt(
    createHash('sha256')
      .update(`${lin.join('/')}|${task}|${shots}${suffix}`)
      .digest('hex')
      .slice(0, 8),
    16,
  );
}
/** Python's str(float): integers keep ".0". */
const py = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));
const score = (lin: string[], task: string, shots: number) => py((hash(lin, task, shots) % 1000) / 1000);
const norm = (lin: string[], task: string, shots: number) => py((hash(lin, task, shots, '|norm') % 1000) / 1000);
const bleu = (lin: string[], task: string, shots: number) => py((hash(lin, task, shots) % 1000) / 10);

const dir = tempDir('corpus-lab-fake-');
let base = '';
let data: string[] = [];
const SHAPE = ['--num-layers', '2', '--hidden-size', '64', '--num-attention-heads', '4'];

function cptArgs(load: string, save: string, extra: string[] = []): string[] {
  return [
    '--tensor-model-parallel-size',
    '2',
    '--pipeline-model-parallel-size',
    '1',
    ...SHAPE,
    '--ffn-hidden-size',
    '172',
    '--seq-length',
    '2048',
    '--max-position-embeddings',
    '4096',
    '--position-embedding-type',
    'rope',
    '--attention-backend',
    'flash',
    '--normalization',
    'RMSNorm',
    '--swiglu',
    '--micro-batch-size',
    '1',
    '--global-batch-size',
    '8',
    '--train-iters',
    '4',
    '--lr',
    '1e-4',
    '--min-lr',
    '1e-5',
    '--lr-warmup-iters',
    '1',
    '--bf16',
    '--tokenizer-type',
    'HuggingFaceTokenizer',
    '--tokenizer-model',
    base,
    '--data-path',
    '0.7',
    data[0],
    '0.3',
    data[1],
    '--split',
    '99,1,0',
    '--log-interval',
    '1',
    '--log-throughput',
    '--load',
    load,
    '--save',
    save,
    '--save-interval',
    '3',
    ...extra,
  ];
}

before(() => {
  base = path.join(dir, 'base');
  ok(
    run(path.join(FAKE, 'make_hf_model.py'), [
      base,
      'llm-jp-3-1.8b',
      ...[
        '--num-layers',
        '2',
        '--hidden-size',
        '64',
        '--num-attention-heads',
        '4',
        '--intermediate-size',
        '172',
        '--vocab-size',
        '128',
      ],
    ]),
  );
  data = ['ja_wiki_text_document', 'en_pile_text_document'].map((n) => {
    const prefix = path.join(dir, 'data', n);
    mkdirSync(path.dirname(prefix), { recursive: true });
    writeFileSync(`${prefix}.idx`, encodeIndex([5, 7], [0, 2], 8));
    writeFileSync(`${prefix}.bin`, Buffer.alloc(24));
    return prefix;
  });
  ok(
    run(CONVERT, [
      '--model-type',
      'GPT',
      '--loader',
      'llama_mistral',
      '--saver',
      'core',
      '--checkpoint-type',
      'hf',
      '--model-size',
      'llama2-7B',
      '--load-dir',
      base,
      '--save-dir',
      path.join(dir, 'base-megatron'),
      '--tokenizer-model',
      base,
      '--target-tensor-parallel-size',
      '2',
      '--target-pipeline-parallel-size',
      '1',
    ]),
  );
});

test('the paper pipeline through the stand-ins: every artifact in its layout, the lineage carried, med-eval CSVs as output_as_csv writes them', () => {
  const conv = path.join(dir, 'base-megatron');
  assert.equal(readFileSync(path.join(conv, 'latest_checkpointed_iteration.txt'), 'utf8'), '1');
  assert.deepEqual(readdirSync(path.join(conv, 'iter_0000001')).sort(), [
    'corpus_lab_lineage.json',
    'mp_rank_00',
    'mp_rank_01',
  ]);
  assert.ok(existsSync(path.join(conv, 'iter_0000001', 'mp_rank_01', 'model_optim_rng.pt')));

  const cpt = path.join(dir, 'cpt');
  const log = ok(run(MEGATRON, cptArgs(conv, cpt, ['--finetune']), { WORLD_SIZE: '4' })).out;
  const iterations = log.split('\n').filter((l) => / iteration +\d+\/ +4 \|/.test(l));
  assert.equal(iterations.length, 4);
  // The stand-in's loss floor moves with its blend (loss_floor in its pretrain_gpt.py): 2.5 + crc32 % 100 / 250.
  const floor = 2.5 + (crc32(['0.7', data[0], '0.3', data[1]].join(' ')) % 100) / 250;
  const loss = (it: number) => (floor + 8 / (it + 1)).toFixed(6);
  assert.match(
    iterations[0],
    new RegExp(
      String.raw`^ \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] iteration {8}1\/ {7}4 \| consumed samples: {12}8 \| elapsed time per iteration \(ms\): 1234\.5 \| throughput per GPU \(TFLOP\/s\/GPU\): 180\.5 \| learning rate: 1\.000000E-04 \| global batch size: {5}8 \| lm loss: ${loss(1).replace('.', '\\.')}E\+00 \| loss scale: 1\.0 \| grad norm: 0\.500 \| number of skipped iterations: {3}0 \| number of nan iterations: {3}0 \|$`,
    ),
  );
  // Our log parser reads training_log's lines as the stand-in prints them.
  assert.deepEqual(parseIterationLine(iterations[3]), {
    iteration: 4,
    totalIterations: 4,
    consumedSamples: 32,
    elapsedMs: 1234.5,
    tflopsPerGpu: 180.5,
    learningRate: 1e-5,
    lmLoss: Number(loss(4)),
    gradNorm: 0.5,
    skipped: 0,
    nan: 0,
  });
  assert.match(
    log,
    /using world size: 4, data-parallel size: 2, .*tensor-model-parallel size: 2, pipeline-model-parallel size: 1/,
  );
  assert.equal(readFileSync(path.join(cpt, 'latest_checkpointed_iteration.txt'), 'utf8'), '4');
  assert.deepEqual(readdirSync(cpt).sort(), ['iter_0000003', 'iter_0000004', 'latest_checkpointed_iteration.txt']);
  assert.deepEqual(readdirSync(path.join(cpt, 'iter_0000004')).sort(), [
    '.metadata',
    '__0_0.distcp',
    '__1_0.distcp',
    'common.pt',
    'corpus_lab_lineage.json',
    'metadata.json',
  ]);
  const cptLineage = ['base:llm-jp-3-1.8b', 'cpt:en_pile_text_document+ja_wiki_text_document:4'];
  assert.deepEqual(lineage(path.join(cpt, 'iter_0000004')), cptLineage);
  assert.deepEqual(lineage(path.join(cpt, 'iter_0000003')), [
    'base:llm-jp-3-1.8b',
    'cpt:en_pile_text_document+ja_wiki_text_document:3',
  ]);

  const cptHf = path.join(dir, 'cpt-hf');
  ok(
    run(CONVERT, [
      '--model-type',
      'GPT',
      '--loader',
      'core',
      '--saver',
      'llmjp4_hf',
      '--load-dir',
      cpt,
      '--save-dir',
      cptHf,
      '--hf-tokenizer-path',
      base,
    ]),
  );
  assert.deepEqual(readdirSync(cptHf).sort(), [
    'config.json',
    'corpus_lab_lineage.json',
    'generation_config.json',
    'model-00001-of-00002.safetensors',
    'model-00002-of-00002.safetensors',
    'model.safetensors.index.json',
    'special_tokens_map.json',
    'tokenizer.json',
    'tokenizer.model',
    'tokenizer_config.json',
  ]);
  const shard = readFileSync(path.join(cptHf, 'model-00001-of-00002.safetensors'));
  const header = JSON.parse(shard.subarray(8, 8 + Number(shard.readBigUInt64LE(0))).toString()) as Record<
    string,
    { dtype: string }
  >;
  assert.equal(header['model.embed_tokens.weight'].dtype, 'BF16');
  const index = JSON.parse(readFileSync(path.join(cptHf, 'model.safetensors.index.json'), 'utf8')) as {
    weight_map: Record<string, string>;
  };
  assert.equal(index.weight_map['lm_head.weight'], 'model-00002-of-00002.safetensors');
  assert.deepEqual(lineage(cptHf), cptLineage);

  const nemo = path.join(dir, 'cpt.nemo');
  ok(run(HF_TO_NEMO, ['--input_name_or_path', cptHf, '--output_path', nemo, '--precision', 'bf16']));
  const members = spawnSync('tar', ['tf', nemo], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort();
  assert.deepEqual(members, [
    './',
    './a1b2c3d4_tokenizer.model',
    './corpus_lab_lineage.json',
    './model_config.yaml',
    './model_weights/',
    './model_weights/.metadata',
    './model_weights/__0_0.distcp',
    './model_weights/common.pt',
    './model_weights/metadata.json',
  ]);

  const train = path.join(dir, 'sft-train.jsonl');
  const valid = path.join(dir, 'sft-valid.jsonl');
  writeFileSync(train, '{"input": "質問", "output": "答え"}\n');
  writeFileSync(valid, '{"input": "q", "output": "a"}\n');
  const sftDir = path.join(dir, 'sft');
  const sft = ok(
    run(
      SFT,
      [
        'trainer.devices=2',
        'trainer.num_nodes=1',
        'trainer.max_steps=5',
        'model.tensor_model_parallel_size=2',
        `model.restore_from_path=${nemo}`,
        'model.peft.peft_scheme=none',
        `model.data.train_ds.file_names=[${train}]`,
        'model.data.train_ds.concat_sampling_probabilities=[1.0]',
        `model.data.validation_ds.file_names=[${valid}]`,
        `exp_manager.explicit_log_dir=${sftDir}`,
      ],
      { SLURM_NTASKS: '2', SLURM_NTASKS_PER_NODE: '2', SLURM_NNODES: '1', SLURM_PROCID: '0', SLURM_JOB_NAME: 'sft' },
    ),
  );
  assert.match(sft.out, /peft_scheme: none\n.*Running full finetuning since no peft scheme is given\./);
  const sftNemo = path.join(sftDir, 'checkpoints', 'megatron_gpt_peft_none_tuning.nemo');
  assert.ok(existsSync(sftNemo), sft.out);

  const sftHf = path.join(dir, 'sft-hf');
  ok(
    run(NEMO_TO_HF, [
      '--input_name_or_path',
      sftNemo,
      '--output_path',
      path.join(dir, 'sft.bin'),
      '--hf_input_path',
      base,
      '--hf_output_path',
      sftHf,
      '--input_tokenizer',
      base,
    ]),
  );
  const sftLineage = [...cptLineage, 'sft'];
  assert.deepEqual(lineage(sftHf), sftLineage);
  assert.ok(existsSync(path.join(sftHf, 'tokenizer.model')) && existsSync(path.join(sftHf, 'config.json')));

  const results = path.join(dir, 'results');
  mkdirSync(results);
  ok(
    run(path.join(MED_EVAL, 'evaluate_mcqa.py'), [
      '--model_name_or_path',
      sftHf,
      '--task',
      'medmcqa_jp,pubmedqa_jp,crade',
      '--template_name',
      'mcqa_with_options_jp,context_based_mcqa_jp,dc_with_options_jp',
      '--num_fewshot',
      '3',
      '--result_csv',
      path.join(results, 'mcqa.csv'),
    ]),
  );
  assert.equal(
    readFileSync(path.join(results, 'mcqa.csv'), 'utf8'),
    'Task,Template,Accuracy,Norm_accuracy\n' +
      `medmcqa_jp,mcqa_with_options_jp,${score(sftLineage, 'medmcqa_jp', 3)},${norm(sftLineage, 'medmcqa_jp', 3)}\n` +
      `pubmedqa_jp,context_based_mcqa_jp,${score(sftLineage, 'pubmedqa_jp', 3)},${norm(sftLineage, 'pubmedqa_jp', 3)}\n` +
      `crade,dc_with_options_jp,${score(sftLineage, 'crade', 3)},${norm(sftLineage, 'crade', 3)}\n`,
  );
  ok(
    run(path.join(MED_EVAL, 'evaluate_mt.py'), [
      '--model_name_or_path',
      sftHf,
      '--task',
      'ejmmt',
      '--translation',
      'japanese=>english',
      '--template_name',
      'japanese_english',
      '--num_fewshot',
      '3',
      '--result_csv',
      path.join(results, 'mt.csv'),
    ]),
  );
  assert.equal(
    readFileSync(path.join(results, 'mt.csv'), 'utf8'),
    `Task,Template,Bleu\nejmmt-ja2en,japanese_english,${bleu(sftLineage, 'ejmmt-ja2en', 3)}\n`,
  );
  ok(
    run(path.join(MED_EVAL, 'evaluate_ner.py'), [
      '--model_name_or_path',
      sftHf,
      '--task',
      'nrner',
      '--num_fewshot',
      '3',
      '--result_csv',
      path.join(results, 'ner.csv'),
    ]),
  );
  assert.equal(
    readFileSync(path.join(results, 'ner.csv'), 'utf8'),
    `Task,Template,F1 entity-level\nnrner,standard,${score(sftLineage, 'nrner', 3)}\n`,
  );
  ok(
    run(path.join(MED_EVAL, 'evaluate_sts.py'), [
      '--model_name_or_path',
      sftHf,
      '--task',
      'jcsts',
      '--template_name',
      'sts_as_nli_jp',
      '--nli_labels',
      '0,1,2,3,4,5',
      '--num_fewshot',
      '3',
      '--result_csv',
      path.join(results, 'sts.csv'),
    ]),
  );
  assert.equal(
    readFileSync(path.join(results, 'sts.csv'), 'utf8'),
    `Task,Template,Pearson\njcsts,sts_as_nli_jp,${score(sftLineage, 'jcsts', 3)}\n`,
  );
});

test('Megatron: --no-position-embedding is refused unless rope is chosen, as validate_args does; unknown options are argparse errors', () => {
  const r = run(
    MEGATRON,
    [
      ...cptArgs(path.join(dir, 'base-megatron'), path.join(dir, 'npe')),
      '--position-embedding-type',
      'learned_absolute',
      '--no-position-embedding',
    ],
    { WORLD_SIZE: '2' },
  );
  assert.equal(r.code, 1);
  assert.match(r.err, /RuntimeError: --no-position-embedding is deprecated, use --position-embedding-type\n$/);
  // validate_args raises only when position_embedding_type != 'rope'.
  ok(
    run(
      MEGATRON,
      [
        ...cptArgs(path.join(dir, 'base-megatron'), path.join(dir, 'npe-rope'), ['--finetune', '--train-iters', '1']),
        '--no-position-embedding',
      ],
      { WORLD_SIZE: '2' },
    ),
  );
  const unknown = run(MEGATRON, ['--use-flash-attention'], { WORLD_SIZE: '2' });
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /pretrain_gpt\.py: error: unrecognized arguments: --use-flash-attention\n$/);
  // allow_abbrev=False: a prefix of a real option is not one.
  assert.match(
    run(MEGATRON, ['--tensor-model-parallel', '2']).err,
    /unrecognized arguments: --tensor-model-parallel 2/,
  );
});

test('Megatron: --use-flash-attn is accepted but only legacy models read it; the run says so', () => {
  const r = ok(
    run(
      MEGATRON,
      cptArgs(path.join(dir, 'base-megatron'), path.join(dir, 'flash'), [
        '--finetune',
        '--train-iters',
        '1',
        '--use-flash-attn',
      ]),
      { WORLD_SIZE: '2' },
    ),
  );
  assert.match(
    r.out,
    /\[stand-in\] --use-flash-attn is read only by megatron\/legacy\/model\/transformer\.py at NVIDIA\/Megatron-LM@309ffca6a4 \(legacy models, --use-legacy-models\); Megatron-Core models ignore it; --attention-backend chooses attention/,
  );
});

test("Megatron: the converter's iteration-1 checkpoint without --finetune resumes at iteration 1; at or after --train-iters it trains nothing", () => {
  const resumed = ok(
    run(MEGATRON, cptArgs(path.join(dir, 'base-megatron'), path.join(dir, 'resume')), { WORLD_SIZE: '2' }),
  ).out;
  assert.match(
    resumed,
    / loading checkpoint from .* at iteration 1\n\[stand-in\] resuming at iteration 1 \(neither --finetune nor a release checkpoint\); optimizer and scheduler loaded from the checkpoint\n/,
  );
  assert.deepEqual(
    resumed.match(/ iteration +(\d+)\//g)?.map((m) => Number(m.replace(/\D+(\d+)\//, '$1'))),
    [2, 3, 4],
  );

  const nothing = ok(
    run(MEGATRON, cptArgs(path.join(dir, 'base-megatron'), path.join(dir, 'nothing'), ['--train-iters', '1']), {
      WORLD_SIZE: '2',
    }),
  ).out;
  assert.doesNotMatch(nothing, / iteration +\d+\//);
  assert.match(nothing, /\[stand-in\] no iteration trained: the loaded iteration 1 is not below --train-iters 1/);
  // Upstream still saves at the end (iteration 1 ≠ 0 and not a multiple of --save-interval): the base model, unchanged.
  assert.deepEqual(lineage(path.join(dir, 'nothing', 'iter_0000001')), ['base:llm-jp-3-1.8b']);

  const release = path.join(dir, 'release');
  mkdirSync(path.join(release, 'release'), { recursive: true });
  writeFileSync(path.join(release, 'latest_checkpointed_iteration.txt'), 'release');
  writeFileSync(path.join(release, 'release', 'metadata.json'), '{}');
  writeFileSync(path.join(release, 'release', 'common.pt'), JSON.stringify({ args: {} }));
  writeFileSync(path.join(release, 'release', 'corpus_lab_lineage.json'), '["base:r"]');
  const fromRelease = ok(
    run(MEGATRON, cptArgs(release, path.join(dir, 'from-release'), ['--train-iters', '1']), { WORLD_SIZE: '2' }),
  ).out;
  assert.match(
    fromRelease,
    / loading release distributed checkpoint from .*\n {2}successfully loaded checkpoint from .* at iteration 0\n/,
  );
  assert.deepEqual(lineage(path.join(dir, 'from-release', 'iter_0000001')), [
    'base:r',
    'cpt:en_pile_text_document+ja_wiki_text_document:1',
  ]);
});

test("Megatron: world size, batch sizes, sequence length, data prefixes, tokenizer and the torch checkpoint's TP are checked as upstream does", () => {
  const args = (extra: string[] = []) => [
    ...cptArgs(path.join(dir, 'base-megatron'), path.join(dir, 'checks'), ['--finetune', '--train-iters', '1']),
    ...extra,
  ];
  assert.match(
    run(MEGATRON, args(), { WORLD_SIZE: '1' }).err,
    /AssertionError: world size \(1\) is not divisible by total_model_size \(total_model_size=2\)\n$/,
  );
  assert.match(
    run(MEGATRON, args(['--global-batch-size', '5']), { WORLD_SIZE: '4' }).err,
    /AssertionError: global batch size \(5\) is not divisible by micro batch size \(1\) times data parallel size \(2\)\n$/,
  );
  assert.match(
    run(MEGATRON, args(['--seq-length', '8192']), { WORLD_SIZE: '2' }).err,
    /AssertionError: max_position_embeddings \(4096\) must be greater than or equal to seq_length \(8192\)\.\n$/,
  );
  assert.match(
    run(MEGATRON, args(['--data-path', path.join(dir, 'data', 'missing')]), { WORLD_SIZE: '2' }).err,
    /FileNotFoundError: \[Errno 2\] No such file or directory: '.*missing\.idx'\n$/,
  );
  const bad = path.join(dir, 'data', 'bad');
  writeFileSync(`${bad}.idx`, 'not an index');
  writeFileSync(`${bad}.bin`, '');
  assert.match(
    run(MEGATRON, args(['--data-path', bad]), { WORLD_SIZE: '2' }).err,
    /AssertionError: bad header, cannot read: .*bad\.idx\n$/,
  );
  assert.match(
    run(MEGATRON, args(['--tokenizer-model', path.join(dir, 'nowhere')]), { WORLD_SIZE: '2' }).err,
    /OSError: Can't load tokenizer for '.*nowhere'\./,
  );
  const tp4 = run(MEGATRON, args(['--tensor-model-parallel-size', '4']), { WORLD_SIZE: '4' });
  assert.match(
    tp4.out,
    /could not load the checkpoint\n\[Errno 2\] No such file or directory: '.*iter_0000001\/mp_rank_02\/model_optim_rng\.pt'\n/,
  );
  const shape = run(MEGATRON, args(['--hidden-size', '128']), { WORLD_SIZE: '2' });
  assert.match(
    shape.err,
    /RuntimeError: Error\(s\) in loading state_dict for GPTModel:\n\t\[stand-in\] size mismatch: --hidden-size 128 but the checkpoint has 64\n$/,
  );
});

test('Megatron test hooks: --train-iters 13 fails after 3 iterations with a traceback', () => {
  const r = run(
    MEGATRON,
    cptArgs(path.join(dir, 'base-megatron'), path.join(dir, 'crash'), ['--finetune', '--train-iters', '13']),
    { WORLD_SIZE: '2' },
  );
  assert.equal(r.code, 1);
  assert.equal(r.out.split('\n').filter((l) => / iteration +\d+\/ +13 \|/.test(l)).length, 3);
  assert.match(
    r.err,
    /^Traceback \(most recent call last\):\n[\s\S]*RuntimeError: CUDA error: an illegal memory access was encountered\n$/,
  );
});

test('converters check their input layout: an HF directory for llama_mistral, a Megatron checkpoint for core, a .nemo for NeMo', () => {
  const r = run(CONVERT, [
    '--model-type',
    'GPT',
    '--loader',
    'llama_mistral',
    '--saver',
    'core',
    '--checkpoint-type',
    'hf',
    '--model-size',
    'llama2-7B',
    '--load-dir',
    path.join(dir, 'base-megatron'),
    '--save-dir',
    path.join(dir, 'x'),
    '--tokenizer-model',
    base,
  ]);
  assert.equal(r.code, 1);
  assert.match(r.out, /OSError: .*base-megatron does not appear to have a file named config\.json\./);
  const core = run(CONVERT, [
    '--model-type',
    'GPT',
    '--loader',
    'core',
    '--saver',
    'llmjp4_hf',
    '--load-dir',
    base,
    '--save-dir',
    path.join(dir, 'y'),
    '--hf-tokenizer-path',
    base,
  ]);
  assert.equal(core.code, 1);
  assert.match(core.out, /WARNING: could not find the metadata file .*base\/latest_checkpointed_iteration\.txt\n/);
  const plugin = run(CONVERT, [
    '--model-type',
    'GPT',
    '--loader',
    'llama2_hf',
    '--saver',
    'core',
    '--load-dir',
    base,
    '--save-dir',
    path.join(dir, 'z'),
  ]);
  assert.equal(plugin.code, 1);
  assert.match(plugin.err, /^Unable to load loader plugin llama2_hf\. Exiting\.\n$/);
  const required = run(CONVERT, [
    '--model-type',
    'GPT',
    '--loader',
    'llama_mistral',
    '--saver',
    'core',
    '--load-dir',
    base,
    '--save-dir',
    path.join(dir, 'z'),
  ]);
  assert.equal(required.code, 2);
  assert.match(
    required.err,
    /error: the following arguments are required: --model-size, --checkpoint-type, --tokenizer-model\n$/,
  );
  const toHf = run(NEMO_TO_HF, [
    '--input_name_or_path',
    path.join(dir, 'base-megatron'),
    '--output_path',
    path.join(dir, 'w.bin'),
  ]);
  assert.equal(toHf.code, 1);
  assert.match(toHf.err, /FileNotFoundError: .*model_config\.yaml/);
});

const sftArgs = (nemo: string, extra: string[] = []) => [
  `model.restore_from_path=${nemo}`,
  'model.peft.peft_scheme=none',
  `model.data.train_ds.file_names=[${path.join(dir, 'sft-train.jsonl')}]`,
  'model.data.train_ds.concat_sampling_probabilities=[1.0]',
  `model.data.validation_ds.file_names=[${path.join(dir, 'sft-valid.jsonl')}]`,
  `exp_manager.explicit_log_dir=${path.join(dir, 'sft-checks')}`,
  ...extra,
];

test('NeMo SFT refuses what NeMo refuses: a directory to restore, a missing mandatory key, an unknown key, devices vs Slurm tasks, TP × PP vs world size', () => {
  const nemo = path.join(dir, 'checks.nemo');
  ok(run(HF_TO_NEMO, ['--input_name_or_path', base, '--output_path', nemo]));
  writeFileSync(path.join(dir, 'sft-train.jsonl'), '{"input": "q", "output": "a"}\n');
  writeFileSync(path.join(dir, 'sft-valid.jsonl'), '{"input": "q", "output": "a"}\n');
  const megatronDir = path.join(dir, 'base-megatron');
  const fromDir = run(SFT, sftArgs(megatronDir));
  assert.equal(fromDir.code, 1);
  assert.match(fromDir.err, new RegExp(`IsADirectoryError: \\[Errno 21\\] Is a directory: '${megatronDir}'\\n`));

  const noValid = run(
    SFT,
    sftArgs(nemo).filter((a) => !a.startsWith('model.data.validation_ds.file_names')),
  );
  assert.equal(noValid.code, 1);
  assert.match(
    noValid.err,
    /omegaconf\.errors\.MissingMandatoryValue: Missing mandatory value: model\.data\.validation_ds\.file_names\n {4}full_key: model\.data\.validation_ds\.file_names\n/,
  );

  const unknown = run(SFT, sftArgs(nemo, ['model.peft.scheme=none']));
  assert.equal(unknown.code, 1);
  assert.equal(
    unknown.err,
    "Could not override 'model.peft.scheme'.\nTo append to your config use +model.peft.scheme=none\n" +
      "Key 'scheme' is not in struct\n    full_key: model.peft.scheme\n    object_type=dict\n\nSet the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.\n",
  );

  const devices = run(SFT, sftArgs(nemo, ['model.tensor_model_parallel_size=2']), {
    SLURM_NTASKS: '2',
    SLURM_NTASKS_PER_NODE: '2',
    SLURM_NNODES: '1',
    SLURM_JOB_NAME: 'sft',
  });
  assert.match(
    devices.err,
    /ValueError: You set `devices=1` in Lightning, but the number of tasks per node configured in SLURM `--ntasks-per-node=2` does not match\. HINT: Set `devices=2`\./,
  );
  const world = run(SFT, sftArgs(nemo, ['model.tensor_model_parallel_size=2']));
  assert.match(
    world.err,
    /AssertionError: world_size: 1 must be divisible by total world_size: \(decoder_\)tensor_model_parallel_size 2 \* \(decoder_\)pipeline_model_parallel_size 1 /,
  );

  const notList = run(SFT, sftArgs(nemo, [`model.data.validation_ds.file_names=${path.join(dir, 'sft-valid.jsonl')}`]));
  assert.match(
    notList.err,
    /ValueError: SFT train\/validation datasets must be provided as a list of individual JSONL files\.\n/,
  );
  const noProbs = run(SFT, sftArgs(nemo, ['model.data.train_ds.concat_sampling_probabilities=null']));
  assert.match(
    noProbs.err,
    /ValueError: concat_sampling_probabilities must be a ListConfig with the same number of files in file_names\. Found: None\n/,
  );
});

test('NeMo SFT logs the PEFT scheme: the default is adapters (not full-parameter SFT), and that .nemo has no base weights for the HF converter', () => {
  const nemo = path.join(dir, 'checks.nemo');
  const peft = ok(
    run(
      SFT,
      sftArgs(nemo).filter((a) => !a.startsWith('model.peft.peft_scheme')),
    ),
  );
  assert.match(peft.out, /peft_scheme: adapter\n.*Adding adapter weights to the model for PEFT\n/);
  const adapters = path.join(dir, 'sft-checks', 'checkpoints', 'megatron_gpt_peft_adapter_tuning.nemo');
  assert.ok(existsSync(adapters));
  const r = run(NEMO_TO_HF, [
    '--input_name_or_path',
    adapters,
    '--output_path',
    path.join(dir, 'a.bin'),
    '--hf_input_path',
    base,
    '--hf_output_path',
    path.join(dir, 'a-hf'),
  ]);
  assert.equal(r.code, 1);
  assert.match(r.err, /this \.nemo holds adapter weights only/);
});

test('NeMo SFT answers --cfg job with the composed config, as Hydra prints it', () => {
  const r = ok(
    run(SFT, [
      '--cfg',
      'job',
      'model.peft.peft_scheme=none',
      'trainer.devices=2',
      'model.data.train_ds.file_names=[/d/a.jsonl,/d/b.jsonl]',
    ]),
  );
  assert.match(r.out, /^name: megatron_gpt_peft_\$\{model\.peft\.peft_scheme\}_tuning\ntrainer:\n {2}devices: 2\n/);
  assert.match(r.out, /\n {4}peft_scheme: none\n/);
  assert.match(r.out, /\n {6}file_names:\n {6}- \/d\/a\.jsonl\n {6}- \/d\/b\.jsonl\n/);
  assert.match(r.out, /\n {4}restore_from_path: \?\?\?\n|\n {2}restore_from_path: \?\?\?\n/);
});

test('med-eval refuses what med-eval refuses: ejmmt-en2ja, MT task/translation counts, the STS label count, a non-HF model directory', () => {
  const hf = base;
  const en2ja = run(path.join(MED_EVAL, 'evaluate_mt.py'), [
    '--model_name_or_path',
    hf,
    '--task',
    'ejmmt-en2ja',
    '--translation',
    'english=>japanese',
    '--template_name',
    'english_japanese',
  ]);
  assert.equal(en2ja.code, 1);
  assert.match(en2ja.err, /ValueError: Unknown task: ejmmt-en2ja\n$/);
  const counts = run(path.join(MED_EVAL, 'evaluate_mt.py'), [
    '--model_name_or_path',
    hf,
    '--task',
    'ejmmt-en2ja,ejmmt-ja2en',
    '--template_name',
    'english_japanese',
  ]);
  assert.equal(counts.code, 1);
  assert.match(counts.err, /AssertionError\n$/);
  const sts = run(path.join(MED_EVAL, 'evaluate_sts.py'), [
    '--model_name_or_path',
    hf,
    '--task',
    'jcsts',
    '--template_name',
    'sts_as_nli_jp',
  ]);
  assert.equal(sts.code, 1);
  assert.match(
    sts.err,
    /AssertionError: Number of labels in the task \(6\) is not equal to the number of labels in the arguments \(2\)\n$/,
  );
  const nemoDir = path.join(dir, 'sft');
  mkdirSync(nemoDir, { recursive: true });
  const notHf = run(path.join(MED_EVAL, 'evaluate_mcqa.py'), [
    '--model_name_or_path',
    nemoDir,
    '--task',
    'medmcqa',
    '--template_name',
    'mcqa_with_options',
  ]);
  assert.equal(notHf.code, 1);
  assert.match(
    notHf.err,
    /OSError: .*sft does not appear to have a file named config\.json\. Checkout 'https:\/\/huggingface\.co\/.*sft\/None' for available files\.\n$/,
  );
  const pairing = ok(
    run(path.join(MED_EVAL, 'evaluate_mcqa.py'), [
      '--model_name_or_path',
      hf,
      '--task',
      'pubmedqa_jp',
      '--template_name',
      'mcqa_with_options',
    ]),
  );
  assert.match(
    pairing.out,
    /\[stand-in\] med-eval's README pairs MCQA \(`pubmedqa\*`\) with context_based_mcqa_minimal, context_based_mcqa_jp, context_based_mcqa, context_based_mcqa_instructed_jp; pubmedqa_jp runs with mcqa_with_options\n/,
  );
  const direction = ok(
    run(path.join(MED_EVAL, 'evaluate_mt.py'), [
      '--model_name_or_path',
      hf,
      '--task',
      'ejmmt',
      '--translation',
      'japanese=>english',
      '--template_name',
      'english_japanese',
    ]),
  );
  assert.match(
    direction.out,
    /\[stand-in\] med-eval's README pairs MT \(ja-en\) with mt_minimal, japanese_english, mt_english_centric_j2e, mt_instructed_j2e; ejmmt runs with english_japanese\n/,
  );
  // Without --translation, MT runs english=>japanese only.
  const one = ok(
    run(path.join(MED_EVAL, 'evaluate_mt.py'), [
      '--model_name_or_path',
      hf,
      '--task',
      'ejmmt',
      '--template_name',
      'english_japanese',
    ]),
  );
  assert.match(one.out, /\| ejmmt-en2ja \| english_japanese \|/);
  assert.doesNotMatch(one.out, /ja2en/);
});

test('every contract names its upstream repository, a 40-hex commit and a path', () => {
  const dirC = path.join(FAKE, 'contracts');
  const sources: { repo: string; commit: string; path: string }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.commit === 'string') sources.push(o as never);
      Object.values(o).forEach(walk);
    }
  };
  for (const f of readdirSync(dirC).filter((n) => n.endsWith('.json'))) {
    const before = sources.length;
    walk(JSON.parse(readFileSync(path.join(dirC, f), 'utf8')));
    assert.ok(sources.length > before, `${f} names no upstream source`);
  }
  for (const s of sources) {
    assert.match(s.commit, /^[0-9a-f]{40}$/);
    assert.match(s.repo, /^[\w-]+\/[\w.-]+$/);
    assert.ok(s.path.length > 0);
  }
  assert.deepEqual([...new Set(sources.map((s) => `${s.repo}@${s.commit}`))].sort(), [
    'Lightning-AI/pytorch-lightning@2129fdf3622e39ba46be4e1139af408e7e951cf3',
    'NVIDIA/Megatron-LM@309ffca6a40553362d44fd17efc56b772fa1aa44',
    'NVIDIA/NeMo@8cfedd7203462cb251a914e700e5605444277561',
    'facebookresearch/hydra@7ef3acab78b46bf82370e7931f748aef5fd80e5f',
    'llm-jp/Megatron-LM@ea80de7979dcbc3ef4a9ec83c26628f65448d833',
    'nii-nlp/med-eval@9e030138ab061e24c3d4d413ee4aa77de37735de',
    'omry/omegaconf@350bdb632865c5dd2286f2f6521acefe4abd843d',
  ]);
});

test('test/fixtures/jmedbench holds one CSV per evaluate script, byte for byte what the stand-ins write for the 27 tasks', () => {
  const model = path.join(dir, 'fixture-model');
  ok(
    run(path.join(FAKE, 'make_hf_model.py'), [
      model,
      'fixture',
      '--num-layers',
      '2',
      '--hidden-size',
      '64',
      '--num-attention-heads',
      '4',
    ]),
  );
  const out = path.join(dir, 'fixture-out');
  mkdirSync(out);
  for (const [script, args] of FIXTURE_RUNS) {
    ok(
      run(path.join(MED_EVAL, script), [
        '--model_name_or_path',
        model,
        ...args,
        '--num_fewshot',
        '3',
        '--result_csv',
        path.join(out, `${script.replace(/^evaluate_|\.py$/g, '')}.csv`),
      ]),
    );
  }
  const fixture = path.join(FIXTURES, 'jmedbench');
  for (const f of ['mcqa.csv', 'mt.csv', 'ner.csv', 'sts.csv']) {
    assert.equal(readFileSync(path.join(fixture, f), 'utf8'), readFileSync(path.join(out, f), 'utf8'), f);
  }
  const rows = ['mcqa.csv', 'mt.csv', 'ner.csv', 'sts.csv'].flatMap((f) =>
    readFileSync(path.join(fixture, f), 'utf8').trim().split('\n').slice(1),
  );
  assert.equal(new Set(rows.map((r) => r.split(',')[0])).size, 27);
  assert.equal(readFileSync(path.join(fixture, 'ner.csv'), 'utf8').split('\n')[0], 'Task,Template,F1 entity-level');
  const lin = ['base:fixture'];
  assert.equal(
    readFileSync(path.join(fixture, 'sts.csv'), 'utf8'),
    `Task,Template,Pearson\njcsts,sts_as_nli_jp,${score(lin, 'jcsts', 3)}\n`,
  );
});

/** The med-eval runs behind test/fixtures/jmedbench (see its README): med-eval's own template per family. */
const MCQA = [
  'medmcqa',
  'medmcqa_jp',
  'usmleqa',
  'usmleqa_jp',
  'medqa',
  'medqa_jp',
  'mmlu_medical',
  'mmlu_medical_jp',
  'igakuqa',
  'igakuqa_en',
  'jmmlu_medical',
];
const FIXTURE_RUNS: [string, string[]][] = [
  [
    'evaluate_mcqa.py',
    [
      '--task',
      [...MCQA, 'pubmedqa', 'pubmedqa_jp', 'crade', 'rrtnm', 'smdis'].join(','),
      '--template_name',
      [
        ...MCQA.map((t) =>
          t.endsWith('_jp') || t === 'igakuqa' || t === 'jmmlu_medical' ? 'mcqa_with_options_jp' : 'mcqa_with_options',
        ),
        'context_based_mcqa',
        'context_based_mcqa_jp',
        'dc_with_options_jp',
        'dc_with_options_jp',
        'dc_with_options_jp',
      ].join(','),
    ],
  ],
  [
    'evaluate_mt.py',
    [
      '--task',
      'ejmmt',
      '--translation',
      'english=>japanese,japanese=>english',
      '--template_name',
      'english_japanese,japanese_english',
    ],
  ],
  [
    'evaluate_ner.py',
    [
      '--task',
      'mrner_disease,mrner_medicine,nrner,bc2gm_jp,bc5chem_jp,bc5disease_jp,jnlpba_jp,ncbi_disease_jp',
      '--template_name',
      'standard',
    ],
  ],
  ['evaluate_sts.py', ['--task', 'jcsts', '--template_name', 'sts_as_nli_jp', '--nli_labels', '0,1,2,3,4,5']],
];

test('CORPUS_LAB_CHECK_ONLY=1 checks a command line against the contract without any file: accepted, refused as usual', () => {
  const env = { CORPUS_LAB_CHECK_ONLY: '1', WORLD_SIZE: '2' };
  const nowhere = path.join(dir, 'nowhere');
  const cpt = ok(
    run(
      MEGATRON,
      cptArgs(nowhere, nowhere).map((a) => (a === base ? nowhere : a)),
      env,
    ),
  );
  assert.match(cpt.out, /\[stand-in\] CORPUS_LAB_CHECK_ONLY: the command line holds the contract\n$/);
  assert.equal(existsSync(nowhere), false);
  assert.match(run(MEGATRON, ['--use-flash-attention'], env).err, /unrecognized arguments: --use-flash-attention/);
  ok(
    run(
      SFT,
      [
        `model.restore_from_path=${nowhere}.nemo`,
        'trainer.devices=2',
        'model.tensor_model_parallel_size=2',
        'model.peft.peft_scheme=none',
        `model.data.train_ds.file_names=[${nowhere}/t.jsonl]`,
        'model.data.train_ds.concat_sampling_probabilities=[1.0]',
        `model.data.validation_ds.file_names=[${nowhere}/v.jsonl]`,
        `exp_manager.explicit_log_dir=${nowhere}`,
      ],
      env,
    ),
  );
  assert.match(
    run(
      SFT,
      [
        `model.restore_from_path=${nowhere}.nemo`,
        `model.data.train_ds.file_names=[${nowhere}/t.jsonl]`,
        'model.data.train_ds.concat_sampling_probabilities=[1.0]',
      ],
      env,
    ).err,
    /Missing mandatory value: model\.data\.validation_ds\.file_names/,
  );
  ok(
    run(
      CONVERT,
      [
        '--model-type',
        'GPT',
        '--loader',
        'core',
        '--saver',
        'llmjp4_hf',
        '--load-dir',
        nowhere,
        '--save-dir',
        nowhere,
        '--hf-tokenizer-path',
        nowhere,
      ],
      env,
    ),
  );
  ok(run(HF_TO_NEMO, ['--input_name_or_path', nowhere, '--output_path', `${nowhere}.nemo`], env));
  ok(
    run(
      NEMO_TO_HF,
      [
        '--input_name_or_path',
        `${nowhere}.nemo`,
        '--output_path',
        `${nowhere}.bin`,
        '--hf_input_path',
        nowhere,
        '--hf_output_path',
        nowhere,
      ],
      env,
    ),
  );
  ok(
    run(
      path.join(MED_EVAL, 'evaluate_mt.py'),
      [
        '--model_name_or_path',
        nowhere,
        '--task',
        'ejmmt',
        '--translation',
        'japanese=>english',
        '--template_name',
        'japanese_english',
        '--result_csv',
        `${nowhere}/mt.csv`,
      ],
      env,
    ),
  );
  assert.match(
    run(
      path.join(MED_EVAL, 'evaluate_mt.py'),
      [
        '--model_name_or_path',
        nowhere,
        '--task',
        'ejmmt-ja2en',
        '--translation',
        'japanese=>english',
        '--template_name',
        'japanese_english',
      ],
      env,
    ).err,
    /ValueError: Unknown task: ejmmt-ja2en/,
  );
  assert.match(
    run(
      path.join(MED_EVAL, 'evaluate_sts.py'),
      ['--model_name_or_path', nowhere, '--task', 'jcsts', '--template_name', 'sts_as_nli_jp'],
      env,
    ).err,
    /Number of labels in the task \(6\) is not equal to the number of labels in the arguments \(2\)/,
  );
  assert.equal(existsSync(nowhere), false);
});

test("NeMo SFT: +key adds a key, ++key sets or adds, +key on an existing key is Hydra's error", () => {
  const added = ok(
    run(SFT, ['--cfg', 'job', '+model.data.train_ds.packed_sequence=true', '++model.seed=7', '++model.new_key=[1,2]']),
  );
  assert.match(added.out, /\n {6}packed_sequence: true\n/);
  assert.match(added.out, /\n {2}seed: 7\n/);
  assert.match(added.out, /\n {2}new_key:\n {2}- 1\n {2}- 2\n/);
  const twice = run(SFT, ['--cfg', 'job', '+model.seed=7']);
  assert.equal(twice.code, 1);
  assert.equal(
    twice.err,
    "Could not append to config. An item is already at 'model.seed'.\nEither remove + prefix: 'model.seed=7'\n" +
      "Or add a second + to add or override 'model.seed': '++model.seed=7'\n\n\nSet the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.\n",
  );
});

test('Megatron: deprecated options print what validate_args prints; --checkpoint-activations exits', () => {
  const env = { CORPUS_LAB_CHECK_ONLY: '1', WORLD_SIZE: '2' };
  const args = cptArgs(path.join(dir, 'base-megatron'), path.join(dir, 'dep'), ['--finetune']);
  const dist = ok(run(MEGATRON, [...args, '--use-dist-ckpt'], env));
  assert.match(
    dist.out,
    /^--use-dist-ckpt is deprecated and has no effect\. Use --ckpt-format to select the checkpoint format\.\n/,
  );
  const act = run(MEGATRON, [...args, '--checkpoint-activations'], env);
  assert.equal(act.code, 0);
  assert.equal(
    act.out,
    '--checkpoint-activations is no longer valid, use --recompute-activations, or, for more control, --recompute-granularity and --recompute-method.\n',
  );
  const npe = ok(run(MEGATRON, [...args, '--no-position-embedding'], env));
  assert.match(
    npe.out,
    /\[stand-in\] --no-position-embedding: upstream's help says "Disable position embedding\. Deprecated: use --position-embedding-type"\n/,
  );
});

test('Megatron: --load without a checkpoint (e.g. the HF directory) warns and trains from random weights, as upstream does', () => {
  const r = ok(run(MEGATRON, cptArgs(base, path.join(dir, 'random'), ['--train-iters', '1']), { WORLD_SIZE: '2' }));
  assert.match(
    r.out,
    new RegExp(
      `WARNING: could not find the metadata file ${base}/latest_checkpointed_iteration\\.txt\\n {4}will not load any checkpoints and will start from random\\n`,
    ),
  );
  assert.deepEqual(lineage(path.join(dir, 'random', 'iter_0000001')), [
    'random',
    'cpt:en_pile_text_document+ja_wiki_text_document:1',
  ]);
  const strict = run(
    MEGATRON,
    cptArgs(base, path.join(dir, 'random2'), ['--train-iters', '1', '--exit-on-missing-checkpoint']),
    { WORLD_SIZE: '2' },
  );
  assert.equal(strict.code, 0);
  assert.match(strict.out, />> '--exit-on-missing-checkpoint' set \.\.\. exiting\. <<\n$/);
  assert.equal(existsSync(path.join(dir, 'random2')), false);
});

test('--help lists every option of the contract (what Validate Study reads from the installed tools); NeMo answers --cfg job', () => {
  const contract = (f: string) =>
    JSON.parse(readFileSync(path.join(FAKE, 'contracts', f), 'utf8')) as Record<string, unknown>;
  type Opt = { names: string[] };
  const check = (script: string, options: Opt[], args: string[] = ['--help']) => {
    const help = ok(run(script, args)).out;
    for (const o of options)
      for (const n of o.names) assert.ok(help.includes(n), `${path.basename(script)} --help lacks ${n}`);
  };
  const megatron = contract('megatron-pretrain.json') as { groups: { options: Opt[] }[] };
  check(
    MEGATRON,
    megatron.groups.flatMap((g) => g.options),
  );
  const medEval = contract('med-eval.json') as { scripts: Record<string, { options: Opt[] }> };
  for (const [script, c] of Object.entries(medEval.scripts)) check(path.join(MED_EVAL, script), c.options);
  const nemo = contract('nemo-convert.json') as Record<string, { options: Opt[] }>;
  check(HF_TO_NEMO, nemo['convert_llama_hf_to_nemo.py'].options);
  check(NEMO_TO_HF, nemo['convert_llama_nemo_to_hf.py'].options);
  const conv = contract('megatron-convert.json') as { options: Opt[]; plugins: Record<string, { options: Opt[] }> };
  // convert.py parses known args first, so --help answers before the plugins add theirs (as upstream).
  check(CONVERT, conv.options, [
    '--model-type',
    'GPT',
    '--loader',
    'llama_mistral',
    '--saver',
    'core',
    '--load-dir',
    'x',
    '--save-dir',
    'y',
    '--help',
  ]);
  assert.doesNotMatch(ok(run(CONVERT, ['--help'])).out, /--model-size/);
  assert.match(ok(run(SFT, ['--help'])).out, /^megatron_gpt_finetuning is powered by Hydra\.\n/);
});
