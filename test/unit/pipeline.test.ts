import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobService } from '../../src/core/jobs/jobService';
import { safeLabel } from '../../src/core/jobs/labels';
import { checkLayout } from '../../src/core/jobs/launchChecks';
import { CONVERTERS, type Converter, converterPath, pipelineSchema, planPipeline } from '../../src/core/jobs/pipeline';
import {
  jobSettingsSchema,
  LaunchRefused,
  launchStudy,
  prepareStudy,
  type StudyLaunch,
} from '../../src/core/jobs/studyLaunch';
import { STAGES } from '../../src/core/jobs/templates';
import {
  argparseOptions,
  hydraKeys,
  hydraProblems,
  probeProblems,
  shellWords,
  toolInvocations,
  unknownOptions,
} from '../../src/core/jobs/toolCheck';
import { shippedTemplates } from './helpers';

const ALL = new Set<Converter>(CONVERTERS);
const paper = pipelineSchema.parse({});

test('the paper pipeline: base HF → Megatron once, CPT, → HF → NeMo, SFT, → HF, evaluation; the base model’s own branch', () => {
  const plan = planPipeline({
    recipes: ['A', 'B'],
    includeBase: true,
    pipeline: paper,
    base: { hf: '/m/base' },
    converters: ALL,
  });
  assert.deepEqual(plan.problems, []);
  assert.deepEqual(
    plan.jobs.map((j) => `${j.key} ← ${j.input.job ?? j.input.path}`),
    [
      'hf-to-nemo/base ← /m/base',
      'sft/base ← hf-to-nemo/base',
      'nemo-to-hf/base ← sft/base',
      'eval/base ← nemo-to-hf/base',
      'hf-to-megatron/base ← /m/base',
      'cpt/A ← hf-to-megatron/base',
      'megatron-to-hf/A ← cpt/A',
      'hf-to-nemo/A ← megatron-to-hf/A',
      'sft/A ← hf-to-nemo/A',
      'nemo-to-hf/A ← sft/A',
      'eval/A ← nemo-to-hf/A',
      'cpt/B ← hf-to-megatron/base',
      'megatron-to-hf/B ← cpt/B',
      'hf-to-nemo/B ← megatron-to-hf/B',
      'sft/B ← hf-to-nemo/B',
      'nemo-to-hf/B ← sft/B',
      'eval/B ← nemo-to-hf/B',
    ],
  );
  // Every job comes after what it consumes, so submitting in plan order satisfies every afterok.
  const seen = new Set<string>();
  for (const j of plan.jobs) {
    if (j.input.job) assert.ok(seen.has(j.input.job), `${j.key} before ${j.input.job}`);
    seen.add(j.key);
  }
});

test('base models already converted are used as they are; a swapped SFT tool (HF in, HF out) needs fewer converters', () => {
  const given = planPipeline({
    recipes: ['A'],
    includeBase: true,
    pipeline: paper,
    base: { hf: '/b', megatron: '/b-mg', nemo: '/b.nemo' },
    converters: ALL,
  });
  assert.deepEqual(
    given.jobs.map((j) => j.key),
    [
      'sft/base',
      'nemo-to-hf/base',
      'eval/base',
      'cpt/A',
      'megatron-to-hf/A',
      'hf-to-nemo/A',
      'sft/A',
      'nemo-to-hf/A',
      'eval/A',
    ],
  );
  assert.equal(given.jobs.find((j) => j.key === 'cpt/A')!.input.path, '/b-mg');
  const hfSft = pipelineSchema.parse({ sft: { consumes: 'hf', produces: 'hf' } });
  const plan = planPipeline({
    recipes: ['A'],
    includeBase: true,
    pipeline: hfSft,
    base: { hf: '/b' },
    converters: ALL,
  });
  assert.deepEqual(
    plan.jobs.map((j) => j.key),
    ['sft/base', 'eval/base', 'hf-to-megatron/base', 'cpt/A', 'megatron-to-hf/A', 'sft/A', 'eval/A'],
  );
});

test('artifacts that do not connect are refused, naming both stages and kinds', () => {
  const noNemo = new Set<Converter>(['hf-to-megatron', 'megatron-to-hf', 'nemo-to-hf']);
  const plan = planPipeline({
    recipes: ['A'],
    includeBase: false,
    pipeline: paper,
    base: { hf: '/b' },
    converters: noNemo,
  });
  assert.deepEqual(plan.problems, [
    'cpt gives a Megatron checkpoint, but sft consumes a NeMo model (.nemo): configure a launcher for hf-to-nemo',
  ]);
  const twoHops = planPipeline({
    recipes: ['A'],
    includeBase: false,
    pipeline: paper,
    base: { hf: '/b' },
    converters: new Set<Converter>(['hf-to-megatron', 'nemo-to-hf', 'hf-to-nemo']),
  });
  assert.deepEqual(twoHops.problems, [
    'cpt gives a Megatron checkpoint, but sft consumes a NeMo model (.nemo): configure a launcher for megatron-to-hf',
  ]);
  const noBase = planPipeline({ recipes: ['A'], includeBase: true, pipeline: paper, base: {}, converters: ALL });
  assert.deepEqual(noBase.problems, [
    'sft needs the base model as a NeMo model (.nemo), and no base model is configured (jobs.baseModel)',
    'cpt needs the base model as a Megatron checkpoint, and no base model is configured (jobs.baseModel)',
  ]);
  assert.deepEqual(converterPath('megatron', 'nemo', ALL), ['megatron-to-hf', 'hf-to-nemo']);
  assert.equal(converterPath('nemo', 'megatron', new Set<Converter>(['nemo-to-hf'])), undefined);
});

const service = { remoteRoot: async () => '/home/u/corpus-lab' } as unknown as JobService;

async function launchOf(over: Partial<StudyLaunch> = {}, settings: Record<string, unknown> = {}): Promise<StudyLaunch> {
  return {
    study: 'S1',
    cluster: 'c',
    includeBase: true,
    resultsDir: '/home/u/corpus-lab/results/S1',
    recipes: [
      {
        name: 'EnJa-Base',
        dataPath: ['0.5', '/d/ja/a_text_document', '0.5', '/d/en/b_text_document'],
        totalTokens: 15e9,
      },
    ],
    settings: jobSettingsSchema.parse(settings),
    templates: await shippedTemplates(),
    ...over,
  };
}

test('a study is rendered whole before any submission: artifacts flow from each job’s output to the next job’s input', async () => {
  const prepared = await prepareStudy(service, await launchOf());
  assert.deepEqual(prepared.problems, []);
  assert.equal(prepared.jobs.length, 11);
  const byKey = new Map(prepared.jobs.map((j) => [j.planned.key, j]));
  const cpt = byKey.get('cpt/EnJa-Base')!;
  const conv = byKey.get('hf-to-megatron/base')!;
  assert.match(cpt.script, new RegExp(`--load ${conv.runDir}/checkpoints --finetune --save ${cpt.runDir}/checkpoints`));
  assert.deepEqual(cpt.spec.dependsOn, [conv.spec.tag]);
  const sft = byKey.get('sft/EnJa-Base')!;
  assert.ok(sft.script.includes(`model.restore_from_path=${byKey.get('hf-to-nemo/EnJa-Base')!.runDir}/model.nemo`));
  assert.ok(sft.script.includes('model.peft.peft_scheme=none'));
  assert.ok(sft.script.includes('trainer.devices=8 trainer.num_nodes=1'));
  assert.ok(sft.script.includes(`model.data.validation_ds.file_names=["$HOME"/sft/ichikara-instruction.jsonl]`));
  const ev = byKey.get('eval/EnJa-Base')!;
  assert.ok(ev.script.includes(`--model_name_or_path ${byKey.get('nemo-to-hf/EnJa-Base')!.runDir}/hf`));
  assert.ok(ev.script.includes('--task ejmmt --translation "english=>japanese"'));
  assert.ok(ev.script.includes('--nli_labels 0,1,2,3,4,5'));
  assert.equal(ev.spec.resultsDir!('/x'), '/home/u/corpus-lab/results/S1/EnJa-Base/3-shot');
  for (const j of prepared.jobs) assert.ok(j.spec.tag!.startsWith(`cl-S1-${j.planned.stage}-`), j.spec.tag);
  assert.doesNotMatch(cpt.script, /--use-flash-attn|--no-position-embedding|SLURM_JOB_GPUS/);
});

test('Launch Study submits nothing when any job of any recipe would fail: hostile names, layouts, missing converters', async () => {
  const submitted: string[] = [];
  const recording = {
    remoteRoot: async () => '/r',
    submit: async (s: { name: string }) => {
      submitted.push(s.name);
      return {};
    },
  } as unknown as JobService;
  const bad = await launchOf(
    {
      study: 'EnJa Plus',
      recipes: [
        { name: '日本語コーパス', dataPath: ['1', '/d/x'], totalTokens: 1e9 },
        { name: 'Ok', dataPath: ['1', '/d/y'], totalTokens: 1e9 },
      ],
    },
    { resources: { cpt: { nodes: 1, gpusPerNode: 1 } }, launchers: { 'hf-to-nemo': '' } },
  );
  await assert.rejects(launchStudy(recording, bad), (e: unknown) => {
    assert.ok(e instanceof LaunchRefused);
    assert.deepEqual(e.problems.slice(0, 2), [
      `study name: "EnJa Plus" contains a space; a label holds only ASCII letters, digits, ".", "_" and "-" (a safe label: "${safeLabel('EnJa Plus')}")`,
      `recipe name (it labels its jobs and results): "日本語コーパス" contains "日" (U+65E5); a label holds only ASCII letters, digits, ".", "_" and "-" (a safe label: "${safeLabel('日本語コーパス')}")`,
    ]);
    assert.ok(
      e.problems.includes(
        'the base model gives a Hugging Face model, but sft consumes a NeMo model (.nemo): configure a launcher for hf-to-nemo',
      ),
      e.problems.join('\n'),
    );
    assert.ok(
      e.problems.includes(
        'cpt/Ok: tensor × pipeline parallel = 2 × 2 = 4 does not divide the 1 GPUs requested (1 node(s) × 1 GPUs)',
      ),
      e.problems.join('\n'),
    );
    return true;
  });
  assert.deepEqual(submitted, []);
  await launchStudy(recording, await launchOf());
  assert.equal(submitted.length, 11);
});

test('layouts', () => {
  assert.equal(checkLayout(2, 2, { nodes: 4, gpusPerNode: 8 }), undefined);
  assert.equal(
    checkLayout(2, 1, { nodes: 1, gpusPerNode: 0 }),
    'tensor × pipeline parallel = 2 needs GPUs, and the job asks for none (resources.gpusPerNode)',
  );
  assert.equal(
    checkLayout(4, 2, { nodes: 1, gpusPerNode: 4 }),
    'tensor × pipeline parallel = 4 × 2 = 8 does not divide the 4 GPUs requested (1 node(s) × 4 GPUs)',
  );
});

test('tool invocations are read from rendered scripts the way the shell reads them', () => {
  assert.deepEqual(
    shellWords(`python "$HOME"/'a b/x.py' --k=v\\ w "q\\"x" $(echo a b) # c`).map((w) => w.value),
    ['python', '$HOME/a b/x.py', '--k=v w', 'q"x', '$(echo a b)'],
  );
  assert.deepEqual(
    shellWords(`a 'b' ; c`).map((w) => w.raw),
    ['a', "'b'"],
  );
  const script = 'set -e\nL --x 1 \\\n  --y \\\n  2\necho L\n  L "$HOME"/\'m/evaluate_mt.py\' --task ejmmt\n';
  assert.deepEqual(toolInvocations(script.replace(/L --x/, 'L x.py --x'), 'L'), [
    {
      line: 2,
      program: { raw: 'x.py', value: 'x.py' },
      args: ['--x', '1', '--y', '2'],
      rawArgs: ['--x', '1', '--y', '2'],
    },
    {
      line: 6,
      program: { raw: `"$HOME"/'m/evaluate_mt.py'`, value: '$HOME/m/evaluate_mt.py' },
      args: ['--task', 'ejmmt'],
      rawArgs: ['--task', 'ejmmt'],
    },
  ]);
  const help =
    'usage: x [-h] [--seed SEED] [--task TASK]\n  --num_fewshot NUM_FEWSHOT, --shots NUM\n  --use-distributed-optimizer\n';
  assert.deepEqual([...argparseOptions(help)].sort(), [
    '--num_fewshot',
    '--seed',
    '--shots',
    '--task',
    '--use-distributed-optimizer',
  ]);
  assert.deepEqual(
    unknownOptions(
      ['--seed', '42', '--task=x', '--use-flash-attn', '--use-flash-attn', '-h', '--'],
      argparseOptions(help),
    ),
    ['--use-flash-attn'],
  );
  const cfg = hydraKeys(
    'name: x\ntrainer:\n  devices: 1\nmodel:\n  restore_from_path: null\n  data:\n    validation_ds:\n      file_names: ???\n    train_ds:\n      file_names: ???\n',
  );
  assert.deepEqual(
    hydraProblems(
      ['trainer.devices=8', 'model.data.train_ds.file_names=[a]', 'model.peft.peft_scheme=none', '+model.extra=1'],
      cfg,
    ),
    [
      'model.peft.peft_scheme is not a key of its config (Hydra refuses to override it; "+model.peft.peft_scheme=…" would add it)',
      'model.data.validation_ds.file_names is mandatory (???) in its config and is not set',
    ],
  );
});

test('a probed tool: unknown options named, other refusals quoted, a tool that ignores the probe flagged', () => {
  assert.deepEqual(
    probeProblems({
      code: 2,
      stdout: '',
      stderr: 'usage: convert.py [-h]\nconvert.py: error: unrecognized arguments: --use-flash 3 --corpus-lab-probe\n',
    }),
    { unknown: ['--use-flash'] },
  );
  assert.deepEqual(
    probeProblems({
      code: 2,
      stdout: '',
      stderr: "usage: x\nconvert.py: error: argument --model-size: invalid choice: '13B' (choose from llama2-7B)\n",
    }),
    { unknown: [], other: "argument --model-size: invalid choice: '13B' (choose from llama2-7B)" },
  );
  assert.match(probeProblems({ code: 0, stdout: 'done', stderr: '' }).other!, /did not refuse --corpus-lab-probe/);
});

test('no template inserts a path or name verbatim: a hostile model path stays one quoted word', async () => {
  const hostile = "/m/x'; touch /tmp/pwned; echo '$(id)`id`";
  const templates = await shippedTemplates();
  for (const stage of STAGES)
    assert.doesNotMatch(
      templates[stage].text,
      /\{\{!(?!setup\}\}|launcher\}\})/,
      `${stage}: only set-up and launcher are verbatim`,
    );
  const prepared = await prepareStudy(service, await launchOf({}, { baseModel: hostile }));
  const script = prepared.jobs.find((j) => j.planned.key === 'hf-to-nemo/base')!.script;
  assert.ok(script.includes(`--input_name_or_path '/m/x'\\''; touch /tmp/pwned; echo '\\''$(id)\`id\`'`), script);
});
