import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { uploadAtomic } from '../../src/core/cluster/sftp';
import type { ClusterTransport, RemoteFiles } from '../../src/core/cluster/transport';
import { encodeIndex } from '../../src/core/megatron/indexedDataset';

/**
 * What a study needs on the loopback cluster, made the way a real cluster has it: the stand-ins of
 * Megatron-LM, NeMo and med-eval (test/cluster/fake, which hold the real tools' contracts) at the
 * paths the real checkouts have, a base model as a Hugging Face directory, Megatron indexed datasets
 * for the recipes' prefixes, and an SFT set in NeMo's JSONL format.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
export const FAKE = path.join(ROOT, 'test', 'cluster', 'fake');

async function uploadTree(sftp: RemoteFiles, local: string, remote: string): Promise<void> {
  for (const e of readdirSync(local, { withFileTypes: true })) {
    const from = path.join(local, e.name);
    const to = `${remote}/${e.name}`;
    if (e.isDirectory()) await uploadTree(sftp, from, to);
    else if (e.isFile() && !e.name.endsWith('.pyc'))
      await uploadAtomic(sftp, readFileSync(from), to, statSync(from).mode & 0o111 ? 0o755 : 0o644);
  }
}

export interface StudyTools {
  /** Where the recipes' `megatron:` prefixes live (corpusLab.dataRoot). */
  readonly dataRoot: string;
  /** `corpusLab.jobs` for the loopback cluster: the stand-ins as launchers, small resources. */
  readonly jobs: Record<string, unknown>;
}

/** Uploads the stand-ins, makes the base model, the datasets (prefixes relative to the data root) and the SFT set. */
export async function setupStudyTools(
  conn: ClusterTransport,
  home: string,
  run: string,
  prefixes: readonly string[],
): Promise<StudyTools> {
  const sftp = await conn.files();
  await uploadTree(sftp, FAKE, `${home}/fake`);
  const base = `${home}/${run}/models/base`;
  // llm-jp-3-13b's shape (its config.json), which the CPT template's model options describe.
  const shape = [
    '--num-layers',
    '40',
    '--hidden-size',
    '5120',
    '--num-attention-heads',
    '40',
    '--num-key-value-heads',
    '40',
    '--intermediate-size',
    '13824',
    '--vocab-size',
    '99584',
    '--max-position-embeddings',
    '4096',
  ];
  const made = await conn.exec(['python3', `${home}/fake/make_hf_model.py`, ...shape, base, 'llm-jp-3-13b']);
  if (made.code !== 0) throw new Error(`make_hf_model.py: ${made.stderr}`);
  const dataRoot = `${home}/${run}/data`;
  for (const p of prefixes) {
    // Three documents of uint16 tokens: a real index, a .bin of the matching size.
    await uploadAtomic(sftp, encodeIndex([5, 7, 11], [0, 1, 2, 3], 8), `${dataRoot}/${p}.idx`);
    await uploadAtomic(sftp, Buffer.alloc(2 * 23), `${dataRoot}/${p}.bin`);
  }
  const sft = `${home}/${run}/sft/train.jsonl`;
  await uploadAtomic(
    sftp,
    [
      '{"input": "質問: 高血圧の治療は?", "output": "生活習慣の改善と降圧薬です。"}',
      '{"input": "What is anemia?", "output": "A lack of red blood cells."}',
      '',
    ].join('\n'),
    sft,
  );
  return {
    dataRoot,
    jobs: {
      launchers: {
        cpt: 'python3 "$HOME/fake/bin/torchrun" --nnodes="$SLURM_NNODES" --nproc-per-node="$SLURM_GPUS_ON_NODE" "$HOME/fake/Megatron-LM/pretrain_gpt.py"',
        sft: 'srun python3 "$HOME/fake/NeMo/examples/nlp/language_modeling/tuning/megatron_gpt_finetuning.py"',
        eval: 'python3',
        'hf-to-megatron': 'python3 "$HOME/fake/Megatron-LM/tools/checkpoint/convert.py"',
        'megatron-to-hf': 'python3 "$HOME/fake/Megatron-LM/tools/checkpoint/convert.py"',
        'hf-to-nemo': 'python3 "$HOME/fake/NeMo/scripts/checkpoint_converters/convert_llama_hf_to_nemo.py"',
        'nemo-to-hf': 'python3 "$HOME/fake/NeMo/scripts/checkpoint_converters/convert_llama_nemo_to_hf.py"',
      },
      python: 'python3',
      resources: {
        cpt: { partition: 'gpu', nodes: 1, gpusPerNode: 4, timeLimit: '10:00' },
        sft: { partition: 'gpu', nodes: 1, gpusPerNode: 2, ntasksPerNode: 2, timeLimit: '10:00' },
        eval: { partition: 'gpu', nodes: 1, gpusPerNode: 1, timeLimit: '10:00' },
        'hf-to-megatron': { partition: 'gpu', nodes: 1, gpusPerNode: 1, timeLimit: '10:00' },
        'megatron-to-hf': { partition: 'gpu', nodes: 1, gpusPerNode: 1, timeLimit: '10:00' },
        'hf-to-nemo': { partition: 'gpu', nodes: 1, gpusPerNode: 1, timeLimit: '10:00' },
        'nemo-to-hf': { partition: 'gpu', nodes: 1, gpusPerNode: 1, timeLimit: '10:00' },
      },
      baseModel: base,
      tokenizerModel: `${base}/tokenizer.model`,
      sftData: sft,
      medEvalDir: '$HOME/fake/med-eval',
      numFewshot: 3,
    },
  };
}

/**
 * The score the med-eval stand-in writes for a task (test/cluster/fake/contracts/README.md,
 * "Scores: the one rule"): a function of the model's lineage — the base model, the datasets CPT
 * trained on and its last iteration, SFT — so a score shows which artifacts really flowed.
 */
export function standInScore(lineage: readonly string[], task: string, shots: number): number {
  const h = parseInt(
    createHash('sha256')
      .update(`${lineage.join('/')}|${task}|${shots}`)
      .digest('hex')
      .slice(0, 8),
    16,
  );
  return (h % 1000) / 1000;
}

/** The lineage of a study's model: the base model, then CPT on the recipe's prefixes (basenames), then SFT. */
export function lineageOf(baseName: string, cpt?: { prefixes: readonly string[]; iterations: number }): string[] {
  const out = [`base:${baseName}`];
  if (cpt)
    out.push(
      `cpt:${cpt.prefixes
        .map((p) => path.posix.basename(p))
        .sort()
        .join('+')}:${cpt.iterations}`,
    );
  out.push('sft');
  return out;
}
