#!/usr/bin/env python3
"""Stand-in for Megatron-LM's tools/checkpoint/convert.py with the plugins a Llama study needs
(../../../contracts/README.md §1 and §3, contracts/megatron-convert.json):
  --loader llama_mistral --saver core      HF Llama directory → Megatron checkpoint (torch format, iteration 1)
  --loader core --saver llmjp4_hf          Megatron checkpoint → HF directory (llm-jp's saver plugin)
Each side checks its input's layout and writes its output's; the lineage is copied.
"""
import argparse
import os
import sys
import types

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
from corpus_lab_fake import contract, layouts, lineage  # noqa: E402

C = contract.load('megatron-convert.json')


def die(message):
    print(message, flush=True)
    sys.exit(1)


def load_plugin(kind, name):
    module = f'{kind}_{name}'
    if module in C['plugins']:
        print(f'Loaded {module} as the {kind}.')
        return module
    if name in C['plugins'] and name.startswith(kind + '_'):
        print(f'Loaded {name} as the {kind}.')
        return name
    # convert.py imports `<kind>_<name>`, then `<name>`, printing each ModuleNotFoundError.
    print(f"No module named '{module}'")
    print(f"No module named '{name}'")
    known = ', '.join(sorted(p[len(kind) + 1:] for p in C['plugins'] if p.startswith(kind + '_')))
    print(f'[stand-in] modelled {kind}s: {known}')
    sys.exit(f'Unable to load {kind} plugin {name}. Exiting.')


def load_llama_mistral(args):
    if args.checkpoint_type != 'hf':
        die('[stand-in] only --checkpoint-type hf is modelled (meta checkpoints are converted to HF first upstream)')
    # The loader calls transformers.AutoTokenizer.from_pretrained(--tokenizer-model): a tokenizer directory.
    try:
        if not os.path.isdir(args.tokenizer_model):
            raise OSError(f"Can't load tokenizer for '{args.tokenizer_model}'. [stand-in] AutoTokenizer needs a tokenizer directory")
        layouts.hf_tokenizer(args.tokenizer_model)
    except OSError as e:
        die(f'OSError: {e}')
    try:
        config = layouts.check_hf(args.load_dir, tokenizer=False)
    except OSError as e:
        die(f'OSError: {e}')
    md = types.SimpleNamespace(
        model_type=args.model_type, iteration=C['plugins']['loader_llama_mistral']['metadata_iteration'],
        previous_tensor_parallel_size=1, previous_pipeline_parallel_size=1,
        checkpoint_args={
            'num_layers': config['num_hidden_layers'], 'hidden_size': config['hidden_size'],
            'num_attention_heads': config['num_attention_heads'], 'ffn_hidden_size': config['intermediate_size'],
            'num_query_groups': config.get('num_key_value_heads', config['num_attention_heads']),
            'vocab_size': config['vocab_size'], 'max_position_embeddings': config['max_position_embeddings'],
            'norm_epsilon': config.get('rms_norm_eps'), 'rotary_base': config.get('rope_theta'),
            'position_embedding_type': 'rope', 'swiglu': True, 'normalization': 'RMSNorm',
        },
        lineage=lineage.read(args.load_dir))
    print(f'loaded HF model {args.load_dir}: {md.checkpoint_args["num_layers"]} layers, hidden {md.checkpoint_args["hidden_size"]}', flush=True)
    return md


def load_core(args):
    tracker = os.path.join(args.load_dir, layouts.TRACKER)
    if not os.path.isfile(tracker):
        print(f'WARNING: could not find the metadata file {tracker}')
        print('    will not load any checkpoints and will start from random')
        die("[stand-in] loader_core reads a Megatron checkpoint (latest_checkpointed_iteration.txt beside iter_XXXXXXX/); nothing to convert")
    text = open(tracker).read().strip()
    release = text == 'release'
    if not release and not text.isdigit():
        die(f'ERROR: Invalid metadata file {tracker}. Exiting')
    iteration = 0 if release else int(text)
    iter_dir = os.path.join(args.load_dir, layouts.megatron_iter_dir(iteration, release))
    try:
        fmt = layouts.checkpoint_format(iter_dir)
        margs = layouts.checkpoint_args(iter_dir)
    except (OSError, NotImplementedError, ValueError) as e:
        die(f'{type(e).__name__}: {e}')
    print(f' loading {"distributed " if fmt == "torch_dist" else ""}checkpoint from {args.load_dir} at iteration {iteration}', flush=True)
    return types.SimpleNamespace(model_type=args.model_type, iteration=iteration,
                                 previous_tensor_parallel_size=margs.get('tensor_model_parallel_size', 1),
                                 previous_pipeline_parallel_size=margs.get('pipeline_model_parallel_size', 1),
                                 checkpoint_args=margs, lineage=lineage.read(iter_dir))


def save_core(args, md):
    tp = args.target_tensor_parallel_size or md.previous_tensor_parallel_size or 1
    pp = args.target_pipeline_parallel_size or md.previous_pipeline_parallel_size or 1
    margs = dict(md.checkpoint_args, tensor_model_parallel_size=tp, pipeline_model_parallel_size=pp)
    # saver_base forces --ckpt-format torch and saves at the loader's iteration (1 for llama_mistral).
    layouts.write_megatron(args.save_dir, md.iteration, 'torch', tp, pp, margs, md.lineage)
    print(f'saved a torch-format checkpoint at iteration {md.iteration} (TP {tp}, PP {pp}) to {args.save_dir}', flush=True)


def save_llmjp4_hf(args, md):
    if md.model_type != 'GPT':
        die('AssertionError')
    if not args.hf_tokenizer_path:
        die("OSError: [stand-in] AutoTokenizer.from_pretrained(None): the saver needs --hf-tokenizer-path")
    try:
        layouts.hf_tokenizer(args.hf_tokenizer_path)
    except OSError as e:
        die(f'OSError: {e}')
    m = md.checkpoint_args
    config = {'architectures': ['LlamaForCausalLM'], 'model_type': 'llama', 'hidden_size': m['hidden_size'],
              'intermediate_size': m['ffn_hidden_size'], 'num_hidden_layers': m['num_layers'],
              'num_attention_heads': m['num_attention_heads'], 'num_key_value_heads': m.get('num_query_groups') or m['num_attention_heads'],
              'vocab_size': m.get('vocab_size'), 'max_position_embeddings': m.get('max_position_embeddings'),
              'torch_dtype': args.save_dtype if args.save_dtype in ('bfloat16', 'float32') else 'float16'}
    print('Saving model to disk ...', flush=True)
    layouts.write_hf(args.save_dir, config, md.lineage, tokenizer_from=args.hf_tokenizer_path)


def main():
    parser = argparse.ArgumentParser(prog='convert.py', **C['parser'])
    contract.add_options(parser, C['options'])
    known, _ = parser.parse_known_args()
    for key in ('loader', 'saver'):
        value = getattr(known, key)
        setattr(known, key, C['old_plugin_names'].get(value, value))
    loader = load_plugin('loader', known.loader)
    saver = load_plugin('saver', known.saver)
    contract.add_options(parser, C['plugins'][loader]['options'])
    contract.add_options(parser, C['plugins'][saver]['options'])
    args = parser.parse_args()
    if contract.check_only():
        contract.checked()
    print('Starting saver...')
    print('Starting loader...', flush=True)
    md = {'loader_llama_mistral': load_llama_mistral, 'loader_core': load_core}[loader](args)
    {'saver_core': save_core, 'saver_llmjp4_hf': save_llmjp4_hf}[saver](args, md)
    print('Waiting for saver to complete...', flush=True)


if __name__ == '__main__':
    main()
