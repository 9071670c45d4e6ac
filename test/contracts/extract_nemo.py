#!/usr/bin/env python3
"""Extracts NVIDIA/NeMo's contracts: the keys and defaults of megatron_gpt_finetuning_config.yaml
(with the mandatory `???` ones), the PEFT schemes, where the fine-tuned .nemo is written, and the
options of the Llama HF↔NeMo converters, into test/cluster/fake/contracts/nemo-*.json.

  extract_nemo.py <NVIDIA/NeMo git dir> <commit> <out dir> \
      <facebookresearch/hydra git dir> <rev> <Lightning-AI/pytorch-lightning git dir> <rev> <omry/omegaconf git dir> <rev>

Hydra, Lightning and OmegaConf at the versions NeMo's requirements allow (hydra-core<=1.3.2,
lightning<=2.4.0, omegaconf<=2.3): their messages for overrides, Slurm devices and mandatory values.

Reads the YAML with PyYAML (python3-yaml), here only: the stand-ins read the JSON.
"""
import ast
import json
import os
import re
import sys

import yaml

from facts import argparse_calls, git_show, resolve_commit, source

CONFIG = 'examples/nlp/language_modeling/tuning/conf/megatron_gpt_finetuning_config.yaml'
SCRIPT = 'examples/nlp/language_modeling/tuning/megatron_gpt_finetuning.py'
# OmegaConf's YAML loader reads 1e-4 as a float; PyYAML (YAML 1.1) leaves it a string.
FLOAT = re.compile(r'^[-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)$')


def omegaconf_scalars(node):
    if isinstance(node, dict):
        return {k: omegaconf_scalars(v) for k, v in node.items()}
    if isinstance(node, list):
        return [omegaconf_scalars(v) for v in node]
    if isinstance(node, str) and FLOAT.match(node):
        return float(node)
    return node


def mandatory(node, prefix=''):
    out = []
    for k, v in node.items():
        key = f'{prefix}{k}'
        if isinstance(v, dict):
            out += mandatory(v, key + '.')
        elif v == '???':
            out.append(key)
    return out


def main():
    repo, rev, out, hydra_repo, hydra_rev, pl_repo, pl_rev, oc_repo, oc_rev = sys.argv[1:10]
    commit = resolve_commit(repo, rev)
    hydra_commit, pl_commit, oc_commit = resolve_commit(hydra_repo, hydra_rev), resolve_commit(pl_repo, pl_rev), resolve_commit(oc_repo, oc_rev)
    requirements = git_show(repo, commit, 'requirements/requirements_lightning.txt')
    for pin in ('hydra-core>1.3,<=1.3.2', 'lightning>2.2.1,<=2.4.0', 'omegaconf<=2.3'):
        assert pin in requirements, pin
    loader = git_show(hydra_repo, hydra_commit, 'hydra/_internal/config_loader_impl.py')
    for needle in ('f"Could not override \'{override.key_or_group}\'."', 'f"\\nTo append to your config use +{override.input_line}"',
                   "Could not append to config. An item is already at '{override.key_or_group}'.",
                   "Either remove + prefix: '{override.input_line[1:]}'",
                   "Or add a second + to add or override '{override.key_or_group}': '+{override.input_line}'",
                   'f"Could not delete from config. \'{override.key_or_group}\'"'):
        assert needle in loader, needle
    assert 'Set the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.' in git_show(hydra_repo, hydra_commit, 'hydra/_internal/utils.py')
    slurm = git_show(pl_repo, pl_commit, 'src/lightning/fabric/plugins/environments/slurm.py')
    for needle in ('f"You set `devices={num_devices}` in Lightning, but the number of tasks per node configured in SLURM"',
                   'f" `--ntasks-per-node={ntasks_per_node}` does not match. HINT: Set `devices={ntasks_per_node}`."',
                   'f"You set `num_nodes={num_nodes}` in Lightning, but the number of nodes configured in SLURM"'):
        assert needle in slurm, needle
    assert 'msg = f"Key \'{key}\' is not in struct"' in git_show(oc_repo, oc_commit, 'omegaconf/dictconfig.py')
    assert 'raise MissingMandatoryValue("Missing mandatory value: $KEY")' in git_show(oc_repo, oc_commit, 'omegaconf/dictconfig.py')
    config = omegaconf_scalars(yaml.safe_load(git_show(repo, commit, CONFIG)))
    script = git_show(repo, commit, SCRIPT)
    assert '@hydra_runner(config_path="conf", config_name="megatron_gpt_finetuning_config")' in script
    assert 'logging.info(f"Running full finetuning since no peft scheme is given.\\n{model.summarize()}")' in script
    assert 'logging.info("Adding adapter weights to the model for PEFT")' in script
    peft = git_show(repo, commit, 'nemo/collections/nlp/parts/peft_config.py')
    peft_map = next(n for n in ast.walk(ast.parse(peft)) if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
                    and n.targets[0].id == 'PEFT_CONFIG_MAP')
    schemes = [ast.literal_eval(k) for k in peft_map.value.keys]
    sft_model = git_show(repo, commit, 'nemo/collections/nlp/models/language_modeling/megatron_gpt_sft_model.py')
    for needle in ('SFT train/validation datasets must be provided as a list of individual JSONL files.',
                   'concat_sampling_probabilities must be a ListConfig with the same number of files in ',
                   'concat_sampling_probabilities must be of the same size as file_names.'):
        assert needle in sft_model, needle
    init = git_show(repo, commit, 'nemo/collections/nlp/modules/common/megatron/megatron_init.py')
    assert "f'world_size: {world_size} must be divisible by total world_size: '" in init
    exp = git_show(repo, commit, 'nemo/utils/exp_manager.py')
    assert "params.dirpath = Path(log_dir / 'checkpoints')" in exp and 'params.prefix = name' in exp
    ckpt = git_show(repo, commit, 'nemo/utils/callbacks/nemo_model_checkpoint.py')
    assert 'postfix: str = ".nemo"' in ckpt
    connector = git_show(repo, commit, 'nemo/core/connectors/save_restore_connector.py')
    assert 'tar.add(source_dir, arcname=".")' in connector and 'with tarfile.open(filename, "w:") as tar:' in connector
    assert 'self._model_config_yaml = "model_config.yaml"' in connector
    overrides = git_show(repo, commit, 'nemo/collections/nlp/parts/nlp_overrides.py')
    assert "f'Expected {tmp_model_weights_dir} to be a directory.'" in overrides
    model_pt = git_show(repo, commit, 'nemo/core/classes/modelPT.py')
    assert 'raise FileNotFoundError(f"Can\'t find {restore_path}")' in model_pt

    sft = {
        'source': source(repo, commit, CONFIG),
        'script': source(repo, commit, SCRIPT),
        'config': config,
        'mandatory': mandatory(config),
        'peft_schemes': schemes,
        'peft_log': {'none': 'Running full finetuning since no peft scheme is given.',
                     'other': 'Adding adapter weights to the model for PEFT'},
        'datasets': {
            'source': source(repo, commit, 'nemo/collections/nlp/models/language_modeling/megatron_gpt_sft_model.py'),
            'not_a_list': 'SFT train/validation datasets must be provided as a list of individual JSONL files.',
            'probabilities_missing': 'concat_sampling_probabilities must be a ListConfig with the same number of files in file_names. Found: {}',
            'probabilities_length': 'concat_sampling_probabilities must be of the same size as file_names.',
        },
        'world_size': {
            'source': source(repo, commit, 'nemo/collections/nlp/modules/common/megatron/megatron_init.py'),
            'assert': 'world_size % ((decoder_)TP * PP * CP + encoder TP * PP * CP) == 0',
            'message': ('world_size: {world_size} must be divisible by total world_size: (decoder_)tensor_model_parallel_size {tp} '
                        '* (decoder_)pipeline_model_parallel_size {pp} * (decoder_)context_parallel_size {cp} + '
                        'encoder_tensor_model_parallel_size {etp} * encoder_pipeline_model_parallel_size {epp} * context_parallel_size {cp}'),
        },
        'hydra': {
            'source': source(hydra_repo, hydra_commit, 'hydra/_internal/config_loader_impl.py'),
            'omegaconf': source(oc_repo, oc_commit, 'omegaconf/dictconfig.py'),
            'rules': 'key=value for an existing key; +key=value adds (error if present); ++key=value sets or adds; ~key deletes',
        },
        'slurm_devices': {
            'source': source(pl_repo, pl_commit, 'src/lightning/fabric/plugins/environments/slurm.py'),
            'function': 'SLURMEnvironment.validate_settings',
            'devices': 'You set `devices={num_devices}` in Lightning, but the number of tasks per node configured in SLURM `--ntasks-per-node={ntasks_per_node}` does not match. HINT: Set `devices={ntasks_per_node}`.',
            'nodes': 'You set `num_nodes={num_nodes}` in Lightning, but the number of nodes configured in SLURM `--nodes={nnodes}` does not match. HINT: Set `num_nodes={nnodes}`.',
        },
        'restore': {
            'source': source(repo, commit, 'nemo/core/connectors/save_restore_connector.py'),
            'missing': "FileNotFoundError: Can't find {path}",
            'rule': 'restore_from_path is opened with tarfile (mode "r:", then "r:gz"); model_config.yaml and model_weights/ inside',
            'weights_not_dir': 'Expected {tmp_model_weights_dir} to be a directory.',
        },
        'output': {
            'rule': '<log_dir>/checkpoints/<exp_manager.name>.nemo; log_dir = exp_manager.explicit_log_dir, '
                    'else <exp_manager.exp_dir or ./nemo_experiments>/<exp_manager.name>; exp_manager.name defaults to ${name}',
            'sources': [source(repo, commit, 'nemo/utils/exp_manager.py'), source(repo, commit, 'nemo/utils/callbacks/nemo_model_checkpoint.py')],
        },
    }
    with open(os.path.join(out, 'nemo-sft.json'), 'w') as f:
        json.dump(sft, f, indent=1, ensure_ascii=False)
        f.write('\n')

    to_nemo = git_show(repo, commit, 'scripts/checkpoint_converters/convert_llama_hf_to_nemo.py')
    to_hf = git_show(repo, commit, 'scripts/checkpoint_converters/convert_llama_nemo_to_hf.py')
    assert 'model.save_to(args.output_path)' in to_nemo
    assert "if os.path.exists(f'{args.input_name_or_path}/tokenizer.model'):" in to_nemo
    for needle in ('if args.hf_input_path and args.hf_output_path:', 'if not args.hf_output_tokenizer and args.hf_output_path:',
                   'logging.warning("Could not load custom tokenizer, proceeding with default tokenizer")',
                   'logging.info("`hf_input_path` and/or `hf_output_path` not provided, not generating full HF model.")',
                   'model.save_pretrained(output_hf_path)'):
        assert needle in to_hf, needle
    convert = {
        'convert_llama_hf_to_nemo.py': {
            'source': source(repo, commit, 'scripts/checkpoint_converters/convert_llama_hf_to_nemo.py'),
            'options': argparse_calls(to_nemo, 'get_args'),
            'reads': 'LlamaForCausalLM.from_pretrained(input); tokenizer.model if present, else AutoTokenizer',
            'writes': 'model.save_to(output_path): a .nemo tar',
        },
        'convert_llama_nemo_to_hf.py': {
            'source': source(repo, commit, 'scripts/checkpoint_converters/convert_llama_nemo_to_hf.py'),
            'options': argparse_calls(to_hf, 'get_args'),
            'reads': 'MegatronGPTModel.restore_from(input): a .nemo or an extracted folder',
            'writes': 'torch.save(state dict, output_path); with --hf_input_path and --hf_output_path, '
                      'save_pretrained(hf_output_path), and the --input_tokenizer tokenizer in hf_output_tokenizer (default hf_output_path)',
            'messages': {
                'no_hf_dir': '`hf_input_path` and/or `hf_output_path` not provided, not generating full HF model.',
                'bad_tokenizer': 'Could not load custom tokenizer, proceeding with default tokenizer',
            },
        },
    }
    with open(os.path.join(out, 'nemo-convert.json'), 'w') as f:
        json.dump(convert, f, indent=1, ensure_ascii=False)
        f.write('\n')


if __name__ == '__main__':
    main()
