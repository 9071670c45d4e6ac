#!/usr/bin/env python3
"""Makes a test base model: a Hugging Face Llama directory (config.json, generation_config.json,
two safetensors shards + index, tokenizer files) with lineage ["base:<name>"].

  make_hf_model.py <dir> <name> [--num-layers 32 --hidden-size 4096 --num-attention-heads 32
                                  --num-key-value-heads 32 --intermediate-size 11008 --vocab-size 32000
                                  --max-position-embeddings 4096]

The sizes go into config.json (the converters and pretraining compare them); the tensors are
one-element placeholders.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from corpus_lab_fake import layouts  # noqa: E402


def main():
    p = argparse.ArgumentParser(prog='make_hf_model.py')
    p.add_argument('dir')
    p.add_argument('name')
    p.add_argument('--num-layers', type=int, default=32)
    p.add_argument('--hidden-size', type=int, default=4096)
    p.add_argument('--num-attention-heads', type=int, default=32)
    p.add_argument('--num-key-value-heads', type=int, default=None)
    p.add_argument('--intermediate-size', type=int, default=11008)
    p.add_argument('--vocab-size', type=int, default=32000)
    p.add_argument('--max-position-embeddings', type=int, default=4096)
    a = p.parse_args()
    config = {
        'architectures': ['LlamaForCausalLM'],
        'model_type': 'llama',
        'hidden_size': a.hidden_size,
        'intermediate_size': a.intermediate_size,
        'num_hidden_layers': a.num_layers,
        'num_attention_heads': a.num_attention_heads,
        'num_key_value_heads': a.num_key_value_heads or a.num_attention_heads,
        'vocab_size': a.vocab_size,
        'max_position_embeddings': a.max_position_embeddings,
        'rms_norm_eps': 1e-05,
        'rope_theta': 10000.0,
        'tie_word_embeddings': False,
        'torch_dtype': 'bfloat16',
        'hidden_act': 'silu',
        'bos_token_id': 1,
        'eos_token_id': 2,
    }
    os.makedirs(a.dir, exist_ok=True)
    layouts.write_tokenizer(a.dir, a.vocab_size)
    layouts.write_hf(a.dir, config, [f'base:{a.name}'])
    print(f'wrote a Hugging Face Llama model to {a.dir} (lineage base:{a.name})')


if __name__ == '__main__':
    main()
