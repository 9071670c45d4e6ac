#!/usr/bin/env python3
"""Stand-in for NeMo's examples/nlp/language_modeling/tuning/megatron_gpt_finetuning.py (see
contracts/README.md §5, contracts/nemo-sft.json): Hydra overrides over the real config's keys,
the mandatory `???` keys, Lightning's SLURM device check, NeMo's world size vs TP × PP, restore from a
.nemo tar, the SFT dataset rules, and the .nemo written where exp_manager puts it.
"""
import json
import os
import re
import sys
import time
from datetime import datetime

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))))
from corpus_lab_fake import contract, hydra, layouts, yamlish  # noqa: E402

C = contract.load('nemo-sft.json')
SCRIPT = 'megatron_gpt_finetuning'


def info(message, line=0):
    print(f"[NeMo I {datetime.now().strftime('%Y-%m-%d %H:%M:%S')} {SCRIPT}:{line}] {message}", flush=True)


def restore_model(restore, overrides):
    """(model config, lineage, tokenizer bytes) of the .nemo to fine-tune, or Hydra's job error."""
    restore_abs = os.path.abspath(os.path.expanduser(str(restore)))
    if not os.path.exists(restore_abs):
        hydra.job_error(overrides, 'FileNotFoundError', f"Can't find {restore_abs}")
    try:
        layouts.open_nemo(restore_abs).close()
        model_cfg, lin, _, tokenizer = layouts.read_nemo(restore_abs)
    except IsADirectoryError as e:
        hydra.job_error(overrides, 'IsADirectoryError', str(e) or f"[Errno 21] Is a directory: '{restore_abs}'")
    except (OSError, AssertionError, ValueError) as e:
        hydra.job_error(overrides, type(e).__name__, str(e))
    if lin is None:
        hydra.job_error(overrides, 'FileNotFoundError', f'[stand-in] {restore_abs} carries no corpus_lab_lineage.json')
    return model_cfg, lin, tokenizer


def main():
    argv = sys.argv[1:]
    if any(a in ('--help', '-h') for a in argv):
        print(f'{SCRIPT} is powered by Hydra.\n\n== Config ==\nOverride anything in the config (foo.bar=value)\n')
        sys.stdout.write(yamlish.dump(C['config']))
        print('\nPowered by Hydra (https://hydra.cc)\nUse --hydra-help to view Hydra specific help')
        return
    cfg, overrides = hydra.compose_or_exit(C['config'], argv)

    def get(key):
        try:
            return hydra.get(cfg, key)
        except hydra.MissingMandatoryValue as e:
            hydra.job_error(overrides, 'omegaconf.errors.MissingMandatoryValue', str(e))
        except KeyError as e:
            hydra.job_error(overrides, 'omegaconf.errors.ConfigAttributeError', f'Missing key {e.args[0]}\n    full_key: {key}\n    object_type=dict')

    info('\n\n************** Experiment configuration ***********', 57)
    info('\n' + yamlish.dump(cfg), 58)

    # MegatronLMPPTrainerBuilder → Lightning Trainer; under Slurm, SLURMEnvironment.validate_settings.
    devices, nodes = get('trainer.devices'), get('trainer.num_nodes')
    if 'SLURM_NTASKS' in os.environ and os.environ.get('SLURM_JOB_NAME') not in ('bash', 'interactive'):
        ntasks = int(os.environ['SLURM_NTASKS'])
        if ntasks > 1 and 'SLURM_NTASKS_PER_NODE' not in os.environ:
            hydra.job_error(overrides, 'RuntimeError', f'You set `--ntasks={ntasks}` in your SLURM bash script, but this variable is not supported. '
                                                       f'HINT: Use `--ntasks-per-node={ntasks}` instead.')
        per_node = os.environ.get('SLURM_NTASKS_PER_NODE')
        if per_node is not None and per_node.split('(')[0].isdigit() and int(per_node.split('(')[0]) != devices:
            hydra.job_error(overrides, 'ValueError', C['slurm_devices']['devices'].format(num_devices=devices, ntasks_per_node=per_node))
        nnodes = os.environ.get('SLURM_NNODES')
        if nnodes is not None and int(nnodes) != nodes:
            hydra.job_error(overrides, 'ValueError', C['slurm_devices']['nodes'].format(num_nodes=nodes, nnodes=nnodes))

    # exp_manager: where the run writes.
    name = get('exp_manager.name')
    explicit = get('exp_manager.explicit_log_dir')
    log_dir = explicit if explicit else os.path.join(get('exp_manager.exp_dir') or os.path.join(os.getcwd(), 'nemo_experiments'), name)
    info(f'Experiments will be logged at {log_dir}', 1)

    # MegatronGPTSFTModel.merge_cfg_with / restore_from(cfg.model.restore_from_path)
    restore = get('model.restore_from_path')
    model_cfg, lin, tokenizer = restore_model(restore, overrides) if not contract.check_only() else ({}, [], None)

    tp, pp = get('model.tensor_model_parallel_size'), get('model.pipeline_model_parallel_size')
    cp = cfg['model'].get('context_parallel_size', 1) or 1
    world = devices * nodes
    if world % (tp * pp * cp) != 0:
        hydra.job_error(overrides, 'AssertionError', C['world_size']['message'].format(world_size=world, tp=tp, pp=pp, cp=cp, etp=0, epp=0))

    scheme = get('model.peft.peft_scheme')
    if scheme not in C['peft_schemes']:
        hydra.job_error(overrides, 'KeyError', repr(scheme))
    print(f'peft_scheme: {scheme}', flush=True)
    if scheme in ('none', None):
        info(C['peft_log']['none'] + '\n  | Name  | Type     | Params\n  [stand-in summary]', 79)
    else:
        info(C['peft_log']['other'], 76)

    for split in ('train_ds', 'validation_ds'):
        files = get(f'model.data.{split}.file_names')
        if not isinstance(files, list):
            hydra.job_error(overrides, 'ValueError', C['datasets']['not_a_list'])
        if split == 'train_ds':
            probs = get('model.data.train_ds.concat_sampling_probabilities')
            if not isinstance(probs, list):
                hydra.job_error(overrides, 'ValueError', C['datasets']['probabilities_missing'].format(probs))
            if len(probs) != len(files):
                hydra.job_error(overrides, 'ValueError', str((C['datasets']['probabilities_length'],
                                                              f'Provided size {len(probs)}, number of datasets {len(files)}')))
        if contract.check_only():
            continue
        keys = re.findall(r'{(.*?)}', get(f'model.data.{split}.prompt_template'))
        for path in files:
            if not os.path.isfile(str(path)):
                hydra.job_error(overrides, 'FileNotFoundError', f"[Errno 2] No such file or directory: '{path}'")
            with open(path, encoding='utf-8') as f:
                for n, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        example = json.loads(line)
                    except ValueError as e:
                        hydra.job_error(overrides, 'json.decoder.JSONDecodeError', f'{e} ({path} line {n})')
                    for k in keys:
                        if k not in example:
                            hydra.job_error(overrides, 'KeyError', f"'{k}' ({path} line {n}: the prompt_template needs it)")
                    break

    if contract.check_only():
        contract.checked()
    steps = get('trainer.max_steps')
    shown = max(1, min(int(steps), 3)) if isinstance(steps, int) and steps > 0 else 2
    for step in range(1, shown + 1):
        print(f'Epoch 0: : {step}it [00:00, 20.00it/s, reduced_train_loss={1.5 / step:.3f}, global_step={step - 1}.000, consumed_samples={step * get("model.global_batch_size")}.0]', flush=True)
        time.sleep(0.05)

    rank = int(os.environ.get('SLURM_PROCID', os.environ.get('RANK', '0')))
    if rank != 0:
        return
    out = os.path.join(log_dir, 'checkpoints', f"{get('exp_manager.name')}.nemo")
    new_cfg = dict(model_cfg)
    new_cfg.update(tensor_model_parallel_size=tp, pipeline_model_parallel_size=pp, peft_scheme=scheme)
    tok_path = None
    if tokenizer is not None:
        tok_path = os.path.join(log_dir, '.tokenizer.model')
        layouts.write_bytes(tok_path, tokenizer)
    layouts.write_nemo(out, new_cfg, lin + ['sft'], tokenizer_model=tok_path, adapter_only=scheme not in ('none', None))
    if tok_path:
        os.remove(tok_path)
    info(f'New .nemo model saved to: {out}', 256)


if __name__ == '__main__':
    main()
