#!/usr/bin/env python3
"""Extracts Megatron-LM's contracts (pretrain_gpt.py options and checks, checkpoint layout,
tools/checkpoint/convert.py and its plugins) into test/cluster/fake/contracts/megatron-*.json.

  extract_megatron.py <NVIDIA/Megatron-LM git dir> <commit> <llm-jp/Megatron-LM git dir> <commit> <out dir>

Facts only: option tables, message texts and the conditions they hang on, file-name patterns.
"""
import ast
import json
import os
import re
import subprocess
import sys
import tempfile

from facts import (Enums, argparse_calls, find_raise_or_assert, function_calls, git_files, git_show,
                   resolve_commit, source)

ARGS = 'megatron/training/arguments.py'


def option_readers(repo, commit):
    """dest → files that read `args.<dest>` (outside arguments.py), and the config dataclass fields."""
    readers, fields = {}, set()
    with tempfile.TemporaryDirectory() as tmp:
        # megatron/ and the entry points beside it (pretrain_gpt.py, gpt_builders.py, …); not tests or examples.
        top = [f for f in git_files(repo, commit) if '/' not in f and f.endswith('.py')]
        archive = subprocess.run(['git', '--git-dir', repo, 'archive', commit, 'megatron', *top], check=True, capture_output=True).stdout
        subprocess.run(['tar', '-x', '-C', tmp], input=archive, check=True)
        for root, _, files in os.walk(tmp):
            for f in files:
                if not f.endswith('.py'):
                    continue
                path = os.path.join(root, f)
                rel = os.path.relpath(path, tmp)
                text = open(path, encoding='utf-8', errors='replace').read()
                if rel in ('megatron/core/transformer/transformer_config.py', 'megatron/core/model_parallel_config.py'):
                    fields.update(re.findall(r'^    (\w+)\s*:', text, re.M))
                if rel == ARGS:
                    # The parser and validate_args only define and check options; other functions here
                    # (core_transformer_config_from_args) are readers.
                    tree = ast.parse(text)
                    text = '\n'.join(ast.get_source_segment(text, fn) for fn in tree.body if isinstance(fn, ast.FunctionDef)
                                     and not fn.name.startswith('_add_')
                                     and fn.name not in ('validate_args', 'parse_args', '_print_args', 'add_megatron_arguments'))
                for name in set(re.findall(r"\bargs\.(\w+)", text)) | set(re.findall(r"getattr\(\s*\w*args\s*,\s*['\"](\w+)['\"]", text)):
                    readers.setdefault(name, set()).add(rel)
    return readers, fields


def deprecation_notices(text):
    """validate_args' `if args.<dest> [and args.rank == 0]: print('…deprecated…' | '…no longer valid…') [exit()]`."""
    tree = ast.parse(text)
    vfn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == 'validate_args')
    out = []
    for node in ast.walk(vfn):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) and len(test.values) == 2 \
                and ast.get_source_segment(text, test.values[1]) == 'args.rank == 0':
            test = test.values[0]
        if not (isinstance(test, ast.Attribute) and isinstance(test.value, ast.Name) and test.value.id == 'args'):
            continue
        prints = [c for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                  and c.func.id in ('print', 'print_rank_0', 'warn_rank_0') and c.args]
        messages = []
        for c in prints:
            try:
                messages.append(ast.literal_eval(c.args[0]))
            except ValueError:
                continue
        messages = [m for m in messages if 'deprecated' in m or 'no longer valid' in m]
        if not messages:
            continue
        exits = any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == 'exit' for c in ast.walk(node))
        out.append({'dest': test.attr, 'line': node.lineno, 'message': messages[0], 'exits': exits})
    return out


def pretrain_contract(repo, commit):
    text = git_show(repo, commit, ARGS)
    enums = Enums()
    enums.add_source(git_show(repo, commit, 'megatron/core/transformer/enums.py'))
    enums.add_source(git_show(repo, commit, 'megatron/core/dist_checkpointing/validation.py'))

    tree = ast.parse(text)
    parse_fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == 'parse_args')
    ctor = next(n for n in ast.walk(parse_fn) if isinstance(n, ast.Call) and ast.get_source_segment(text, n.func) == 'argparse.ArgumentParser')
    parser = {kw.arg: ast.literal_eval(kw.value) for kw in ctor.keywords}

    readers, fields = option_readers(repo, commit)
    groups, conditional = [], []
    for fn in function_calls(text, 'add_megatron_arguments'):
        body = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == fn)
        # A group added only when an optional package imports (e.g. kitchen) is not part of a plain install.
        if any(isinstance(n, ast.Try) for n in body.body):
            conditional.append({'function': fn, 'line': body.lineno, 'options': [o['names'] for o in argparse_calls(text, fn, enums)]})
            continue
        opts = argparse_calls(text, fn, enums)
        for o in opts:
            where = readers.get(o['dest'], set())
            if where and o['dest'] not in fields and all(w.startswith('megatron/legacy/') for w in where):
                o['read_only_by'] = sorted(where)
        groups.append({'function': fn, 'options': opts})

    pretrain = git_show(repo, commit, 'pretrain_gpt.py')
    ptree = ast.parse(pretrain)
    call = next(n for n in ast.walk(ptree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == 'pretrain'
                and any(k.arg == 'args_defaults' for k in n.keywords))
    args_defaults = ast.literal_eval(next(k.value for k in call.keywords if k.arg == 'args_defaults'))

    vfn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == 'validate_args')
    required = next(ast.literal_eval(n.value) for n in ast.walk(vfn) if isinstance(n, ast.Assign)
                    and isinstance(n.targets[0], ast.Name) and n.targets[0].id == 'required_args')
    split_default = next(ast.literal_eval(n.value) for n in ast.walk(vfn) if isinstance(n, ast.Assign)
                         and isinstance(n.targets[0], ast.Name) and n.targets[0].id == 'legacy_default_split_value')
    save_interval = [ast.get_source_segment(text, n.test) for n in ast.walk(vfn) if isinstance(n, ast.Assert)
                     and ast.get_source_segment(text, n.test).startswith('args.save_interval')]
    checks = {
        'no_position_embedding': find_raise_or_assert(text, 'validate_args', '--no-position-embedding is deprecated'),
        'world_size': find_raise_or_assert(text, 'validate_args', 'is not divisible by total_model_size'),
        'seq_length': find_raise_or_assert(text, 'validate_args', 'must be greater than'),
        'single_data_source': find_raise_or_assert(text, 'validate_args', 'A single data source must be provided'),
        'batch_size_removed': find_raise_or_assert(text, 'validate_args', '--batch-size argument is no longer'),
        'warmup_removed': find_raise_or_assert(text, 'validate_args', '--warmup argument is no longer valid'),
        'model_parallel_size_removed': find_raise_or_assert(text, 'validate_args', '--model-parallel-size is no'),
    }
    world_size_env = re.search(r"args\.world_size = int\(os\.getenv\(\"(\w+)\", '(\d+)'\)\)", text)
    nm = git_show(repo, commit, 'megatron/core/num_microbatches_calculator.py')
    gbs = re.search(r"'(global batch size \(\{\}\) is not divisible by micro batch size \(\{\}\))'\s*\n\s*'( times data parallel size \(\{\}\))'", nm)

    ckpt = git_show(repo, commit, 'megatron/training/checkpointing.py')
    need = ['latest_checkpointed_iteration.txt', "'iter_{:07d}'", "'release'", "f'mp_rank_{tensor_rank:02d}'",
            "f'mp_rank_{tensor_rank:02d}_{pipeline_rank:03d}'", 'model_optim_rng.pt',
            "'ERROR: Invalid metadata file {}. Exiting'", "'WARNING: could not find the metadata file {}'",
            "'    will not load any checkpoints and will start from random'", "'could not load the checkpoint'",
            'if args.finetune or release:']
    for n in need:
        assert n in ckpt, f'checkpointing.py no longer has {n}'
    idx = git_show(repo, commit, 'megatron/core/datasets/indexed_dataset.py')
    header = next(ast.literal_eval(n.value) for n in ast.walk(ast.parse(idx)) if isinstance(n, ast.Assign)
                  and isinstance(n.targets[0], ast.Name) and n.targets[0].id == '_INDEX_HEADER')
    assert 'bad header, cannot read: {idx_path}' in idx
    dist_core = git_show(repo, commit, 'megatron/core/dist_checkpointing/core.py')
    assert "CONFIG_FNAME = 'metadata.json'" in dist_core

    training = git_show(repo, commit, 'megatron/training/training.py')
    log_parts = re.findall(r"log_string \+= (.+)", training)
    assert "strftime('%Y-%m-%d %H:%M:%S')" in training
    end_save = re.search(r"if args\.save and iteration != 0 and iteration % args\.save_interval != 0:", training)
    loop = re.search(r"while iteration < args\.train_iters:", training)
    assert end_save and loop

    return {
        'source': source(repo, commit, ARGS),
        'also_read': [source(repo, commit, p)['path'] for p in (
            'pretrain_gpt.py', 'megatron/training/checkpointing.py', 'megatron/training/training.py',
            'megatron/core/num_microbatches_calculator.py', 'megatron/core/datasets/indexed_dataset.py',
            'megatron/core/dist_checkpointing/core.py', 'megatron/core/transformer/enums.py')],
        'parser': parser,
        'args_defaults': args_defaults,
        'groups': groups,
        'conditional_groups': conditional,
        'enums': {k: [m for m, _ in v] for k, v in enums.by_name.items() if k in ('AttnBackend',)},
        'required_args': required,
        'checks': checks,
        'save_requires': save_interval,
        'deprecation_notices': deprecation_notices(text),
        'split_default': split_default,
        'world_size_env': {'name': world_size_env.group(1), 'default': int(world_size_env.group(2))},
        'global_batch_message': gbs.group(1) + gbs.group(2),
        'checkpoint': {
            'tracker': 'latest_checkpointed_iteration.txt',
            'iteration_dir': 'iter_{:07d}',
            'release_dir': 'release',
            'torch_rank_dir': ['mp_rank_{tp:02d}', 'mp_rank_{tp:02d}_{pp:03d}'],
            'torch_file': 'model_optim_rng.pt',
            'dist_config_file': 'metadata.json',
            'messages': {
                'invalid_tracker': 'ERROR: Invalid metadata file {}. Exiting',
                'no_tracker': ['WARNING: could not find the metadata file {}', '    will not load any checkpoints and will start from random'],
                'load_failed': 'could not load the checkpoint',
            },
            'iteration_rule': 'if args.finetune or release: iteration = 0, else the stored iteration',
        },
        'indexed_dataset': {'idx_header_latin1': header.decode('latin-1'), 'bad_header': 'bad header, cannot read: {idx_path}'},
        'training_log': {'timestamp': '%Y-%m-%d %H:%M:%S', 'parts': log_parts,
                         'loop': 'while iteration < args.train_iters', 'end_save': end_save.group(0)},
    }


def convert_contract(repo, commit, ljrepo, ljcommit):
    conv = git_show(repo, commit, 'tools/checkpoint/convert.py')
    tree = ast.parse(conv)
    ctor = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.get_source_segment(conv, n.func) == 'argparse.ArgumentParser')
    llama = git_show(repo, commit, 'tools/checkpoint/loader_llama_mistral.py')
    assert "args.iteration = 1 # '0', 'release' don't work" in llama
    saver_base = git_show(repo, commit, 'tools/checkpoint/saver_base.py')
    assert "'--ckpt-format', 'torch'" in saver_base
    lj = git_show(ljrepo, ljcommit, 'tools/checkpoint/saver_llmjp4_hf.py')
    assert 'safe_serialization=True' in lj and 'tokenizer.save_pretrained(args.save_dir)' in lj
    plugins = {
        'loader_llama_mistral': {'source': source(repo, commit, 'tools/checkpoint/loader_llama_mistral.py'),
                                 'options': argparse_calls(llama, 'add_arguments'),
                                 'reads': 'an HF model directory (config.json, weights); --tokenizer-model via AutoTokenizer',
                                 'metadata_iteration': 1},
        'saver_core': {'source': source(repo, commit, 'tools/checkpoint/saver_core.py'),
                       'options': argparse_calls(git_show(repo, commit, 'tools/checkpoint/saver_core.py'), 'add_arguments'),
                       'writes': 'a Megatron checkpoint, --ckpt-format torch, at the loader\'s iteration'},
        'loader_core': {'source': source(repo, commit, 'tools/checkpoint/loader_core.py'),
                        'options': argparse_calls(git_show(repo, commit, 'tools/checkpoint/loader_core.py'), 'add_arguments'),
                        'reads': 'a Megatron checkpoint (the tracker\'s iteration, any format)'},
        'saver_llmjp4_hf': {'source': source(ljrepo, ljcommit, 'tools/checkpoint/saver_llmjp4_hf.py'),
                            'options': argparse_calls(lj, 'add_arguments'),
                            'writes': 'an HF model directory: save_pretrained(safe_serialization=True) + the --hf-tokenizer-path tokenizer'},
    }
    return {
        'source': source(repo, commit, 'tools/checkpoint/convert.py'),
        'parser': {kw.arg: ast.literal_eval(kw.value) for kw in ctor.keywords},
        'options': argparse_calls(conv, 'main'),
        'old_plugin_names': {'megatron': 'legacy', 'mcore': 'core'},
        'plugins': plugins,
    }


def main():
    repo, rev, ljrepo, ljrev, out = sys.argv[1:6]
    commit, ljcommit = resolve_commit(repo, rev), resolve_commit(ljrepo, ljrev)
    write(os.path.join(out, 'megatron-convert.json'), convert_contract(repo, commit, ljrepo, ljcommit))
    write(os.path.join(out, 'megatron-pretrain.json'), pretrain_contract(repo, commit))


def write(path, value):
    with open(path + '.tmp', 'w') as f:
        json.dump(value, f, indent=1, ensure_ascii=False)
        f.write('\n')
    os.replace(path + '.tmp', path)


if __name__ == '__main__':
    main()
