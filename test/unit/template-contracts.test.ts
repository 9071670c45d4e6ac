import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import type { JobService } from '../../src/core/jobs/jobService';
import { jobSettingsSchema, prepareStudy } from '../../src/core/jobs/studyLaunch';
import { checkEvalTemplates } from '../../src/core/jobs/studyValidate';
import {
  argparseOptions,
  hydraKeys,
  hydraProblems,
  PROBE_OPTION,
  probeProblems,
  toolInvocations,
  unknownOptions,
} from '../../src/core/jobs/toolCheck';
import { ROOT, shippedTemplates } from './helpers';

/**
 * Every shipped template, rendered with the default settings (the paper's study), against the
 * options the real tools define — asked of the stand-ins in test/cluster/fake, which build their
 * parsers from the upstream sources at named commits (contracts/*.json). A template change that a
 * real tool would refuse fails here, not on the cluster.
 */
const FAKE = path.join(ROOT, 'test', 'cluster', 'fake');
const STAND_IN: Record<string, string> = {
  'pretrain_gpt.py': 'Megatron-LM/pretrain_gpt.py',
  'convert.py': 'Megatron-LM/tools/checkpoint/convert.py',
  'megatron_gpt_finetuning.py': 'NeMo/examples/nlp/language_modeling/tuning/megatron_gpt_finetuning.py',
  'convert_llama_hf_to_nemo.py': 'NeMo/scripts/checkpoint_converters/convert_llama_hf_to_nemo.py',
  'convert_llama_nemo_to_hf.py': 'NeMo/scripts/checkpoint_converters/convert_llama_nemo_to_hf.py',
  'evaluate_mcqa.py': 'med-eval/evaluate_mcqa.py',
  'evaluate_mt.py': 'med-eval/evaluate_mt.py',
  'evaluate_ner.py': 'med-eval/evaluate_ner.py',
  'evaluate_sts.py': 'med-eval/evaluate_sts.py',
};

function ask(program: string, flag: string, extra: string[] = [], before: readonly string[] = []): string {
  const r = spawnSync('python3', [path.join(FAKE, STAND_IN[program]), ...before, flag, ...extra], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${program} ${flag}: ${r.stderr}`);
  return r.stdout;
}

test('every option of every shipped template, with the default settings, is one the real tool accepts', async () => {
  const templates = await shippedTemplates();
  const settings = jobSettingsSchema.parse({});
  const prepared = await prepareStudy({ remoteRoot: async () => '/home/u/corpus-lab' } as unknown as JobService, {
    study: 'paper',
    cluster: 'c',
    includeBase: true,
    settings,
    templates,
    resultsDir: '/home/u/corpus-lab/results/paper',
    recipes: [
      {
        name: 'EnJa-Base',
        dataPath: ['0.5', '/d/ja/a_text_document', '0.5', '/d/en/b_text_document'],
        totalTokens: 15e9,
      },
    ],
  });
  assert.deepEqual(prepared.problems, []);
  const checked = new Map<string, number>();
  for (const job of prepared.jobs) {
    const invocations = toolInvocations(job.script, settings.launchers[job.planned.stage]);
    assert.ok(invocations.length > 0, `${job.planned.key}: no tool invocation found`);
    for (const inv of invocations) {
      const program = path.posix.basename(inv.program.value);
      assert.ok(STAND_IN[program], `${job.planned.key}: no stand-in for ${program}`);
      const style = settings.checks[job.planned.stage];
      if (style === 'probe') {
        const r = spawnSync('python3', [path.join(FAKE, STAND_IN[program]), ...inv.args, PROBE_OPTION], {
          encoding: 'utf8',
          cwd: ROOT,
        });
        assert.deepEqual(
          probeProblems({ code: r.status, stdout: r.stdout, stderr: r.stderr }),
          { unknown: [] },
          `${job.planned.key} line ${inv.line}`,
        );
      } else if (style === 'hydra') {
        assert.deepEqual(
          hydraProblems(inv.args, hydraKeys(ask(program, '--cfg', ['job']).replace(/^job\n/, ''))),
          [],
          `${job.planned.key} line ${inv.line}`,
        );
      } else {
        // As Validate Study asks: the invocation's own arguments, then --help.
        assert.deepEqual(
          unknownOptions(inv.args, argparseOptions(ask(program, '--help', [], inv.args))),
          [],
          `${job.planned.key} line ${inv.line}`,
        );
      }
      checked.set(program, (checked.get(program) ?? 0) + 1);
    }
  }
  assert.deepEqual([...checked.keys()].sort(), Object.keys(STAND_IN).sort());
});

test('the options of the old templates are caught the same way', () => {
  const megatron = argparseOptions(ask('pretrain_gpt.py', '--help'));
  assert.ok(
    megatron.has('--attention-backend') && megatron.has('--finetune') && megatron.has('--position-embedding-type'),
  );
  const nemo = hydraKeys(ask('megatron_gpt_finetuning.py', '--cfg', ['job']));
  // The old SFT template left validation_ds.file_names unset: NeMo's config makes it mandatory.
  assert.deepEqual(
    hydraProblems(['model.restore_from_path=/m.nemo', 'model.data.train_ds.file_names=[/t.jsonl]'], nemo),
    ['model.data.validation_ds.file_names is mandatory (???) in its config and is not set'],
  );
  const mt = argparseOptions(ask('evaluate_mt.py', '--help'));
  assert.ok(mt.has('--translation'));
  const sts = argparseOptions(ask('evaluate_sts.py', '--help'));
  assert.ok(sts.has('--nli_labels'));
  // convert.py names a plugin option it does not know only when probed with its loader and saver.
  const r = spawnSync(
    'python3',
    [
      path.join(FAKE, STAND_IN['convert.py']),
      '--model-type',
      'GPT',
      '--loader',
      'core',
      '--saver',
      'llmjp4_hf',
      '--load-dir',
      '/a',
      '--save-dir',
      '/b',
      '--hf-tokenizer-path',
      '/t',
      '--target-tensor-parallel-size',
      '2',
      PROBE_OPTION,
    ],
    { encoding: 'utf8' },
  );
  assert.deepEqual(probeProblems({ code: r.status, stdout: r.stdout, stderr: r.stderr }), {
    unknown: ['--target-tensor-parallel-size'],
  });
});

test('Validate Study reads med-eval’s template registries and names a configured template it lacks', async () => {
  const exec = async (argv: string[]) => {
    const r = spawnSync(argv[0], argv.slice(1), {
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    return { code: r.status, signal: null, stdout: r.stdout, stderr: r.stderr };
  };
  const medEvalDir = path.join(FAKE, 'med-eval');
  const ok = await checkEvalTemplates(exec as never, jobSettingsSchema.parse({ medEvalDir, python: 'python3' }));
  assert.deepEqual(ok.problems, []);
  const bad = await checkEvalTemplates(
    exec as never,
    jobSettingsSchema.parse({
      medEvalDir,
      python: 'python3',
      evalTemplates: { sts: 'sts_as_nli', mtEnJa: 'mt_nonexistent' },
    }),
  );
  assert.deepEqual(bad.problems, [
    'eval: med-eval has no template "mt_nonexistent" (jobs.evalTemplates.mtEnJa) in templates/mt.py',
  ]);
  const missing = await checkEvalTemplates(
    exec as never,
    jobSettingsSchema.parse({ medEvalDir: '/nonexistent/med-eval', python: 'python3' }),
  );
  assert.match(
    missing.problems[0],
    /^eval: could not read med-eval's template registries in \/nonexistent\/med-eval\/templates: .*No such file or directory/,
  );
});
