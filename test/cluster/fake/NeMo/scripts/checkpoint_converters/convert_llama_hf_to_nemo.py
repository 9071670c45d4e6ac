#!/usr/bin/env python3
"""Stand-in for NeMo's scripts/checkpoint_converters/convert_llama_hf_to_nemo.py (contracts/README.md §4,
contracts/nemo-convert.json): reads a Hugging Face Llama directory, writes a .nemo tar."""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
from corpus_lab_fake import contract, layouts, lineage  # noqa: E402

C = contract.load('nemo-convert.json')['convert_llama_hf_to_nemo.py']


def main():
    # upstream: ArgumentParser() with defaults; --hparams_file defaults beside the script.
    defaults = {'hparams_file': os.path.join(HERE, '../../examples/nlp/language_modeling/conf/megatron_llama_config.yaml')}
    args = contract.parser_for(C['options'], prog='convert_llama_hf_to_nemo.py', defaults=defaults).parse_args()
    if contract.check_only():
        contract.checked()
    if not os.path.isfile(args.hparams_file):
        print(f"FileNotFoundError: [Errno 2] No such file or directory: '{args.hparams_file}'", file=sys.stderr)
        sys.exit(1)
    print(f'loading checkpoint {args.input_name_or_path}', flush=True)
    try:
        # LlamaForCausalLM.from_pretrained, then LlamaTokenizer (tokenizer.model) or AutoTokenizer.
        config = layouts.check_hf(args.input_name_or_path)
        lin = lineage.read(args.input_name_or_path)
    except (OSError, ValueError) as e:
        print(f'OSError: {e}', file=sys.stderr)
        sys.exit(1)
    tok = os.path.join(args.input_name_or_path, 'tokenizer.model')
    model_config = {
        'precision': args.precision, 'tensor_model_parallel_size': 1, 'pipeline_model_parallel_size': 1,
        'num_layers': config['num_hidden_layers'], 'hidden_size': config['hidden_size'],
        'ffn_hidden_size': config['intermediate_size'], 'num_attention_heads': config['num_attention_heads'],
        'num_query_groups': config.get('num_key_value_heads', config['num_attention_heads']),
        'max_position_embeddings': config['max_position_embeddings'], 'encoder_seq_length': config['max_position_embeddings'],
        'position_embedding_type': 'rope', 'activation': 'fast-swiglu', 'normalization': 'rmsnorm',
        'hf_vocab_size': config['vocab_size'], 'mcore_gpt': True,
    }
    print(f"hf_config: {config}", flush=True)
    layouts.write_nemo(args.output_path, model_config, lin, tokenizer_model=tok if os.path.isfile(tok) else None)
    print(f'NeMo model saved to: {args.output_path}', flush=True)


if __name__ == '__main__':
    main()
