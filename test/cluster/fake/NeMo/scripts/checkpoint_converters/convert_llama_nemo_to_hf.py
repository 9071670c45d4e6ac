#!/usr/bin/env python3
"""Stand-in for NeMo's scripts/checkpoint_converters/convert_llama_nemo_to_hf.py (contracts/README.md §6,
contracts/nemo-convert.json): a .nemo (or extracted folder) → the state dict file at --output_path and,
with --hf_input_path and --hf_output_path, a Hugging Face directory; tokenizer files only from a
loadable --input_tokenizer."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
from corpus_lab_fake import contract, layouts  # noqa: E402

C = contract.load('nemo-convert.json')['convert_llama_nemo_to_hf.py']


def info(message):
    print(f'[NeMo I convert_llama_nemo_to_hf] {message}', flush=True)


def main():
    args = contract.parser_for(C['options'], prog='convert_llama_nemo_to_hf.py').parse_args()
    if contract.check_only():
        contract.checked()
    if not args.hf_output_tokenizer and args.hf_output_path:
        args.hf_output_tokenizer = args.hf_output_path
    try:
        model_cfg, lin, _, _ = layouts.read_nemo(args.input_name_or_path)
    except (OSError, AssertionError, ValueError) as e:
        print(f'{type(e).__name__}: {e}', file=sys.stderr)
        sys.exit(1)
    if model_cfg.get('corpus_lab_adapter_weights_only'):
        print('RuntimeError: [stand-in] this .nemo holds adapter weights only (SFT ran with a PEFT scheme): '
              'the base model\'s weights are not in it; fine-tune with model.peft.peft_scheme=none', file=sys.stderr)
        sys.exit(1)
    layouts.write_bytes(args.output_path, json.dumps({'corpus_lab_placeholder': 'state dict', 'lineage': lin}).encode())
    info(f'Weights saved to {args.output_path}')
    if not (args.hf_input_path and args.hf_output_path):
        info(C['messages']['no_hf_dir'])
        info(f'.bin file is saved to {args.output_path}')
        return
    try:
        base = layouts.check_hf(args.hf_input_path, tokenizer=False)
    except OSError as e:
        print(f'OSError: {e}', file=sys.stderr)
        sys.exit(1)
    config = dict(base)
    config.update(num_hidden_layers=model_cfg.get('num_layers', base['num_hidden_layers']),
                  hidden_size=model_cfg.get('hidden_size', base['hidden_size']))
    tokenizer = None
    if args.input_tokenizer:
        # LlamaTokenizer.from_pretrained(input_tokenizer): a tokenizer.model file or a directory with one.
        candidate = args.input_tokenizer if os.path.isfile(args.input_tokenizer) else os.path.join(args.input_tokenizer, 'tokenizer.model')
        if os.path.isfile(candidate):
            tokenizer = candidate
        else:
            print(f'[NeMo W convert_llama_nemo_to_hf] {C["messages"]["bad_tokenizer"]}', flush=True)
    layouts.write_hf(args.hf_output_path, config, lin)
    info(f'Full HF model saved to {args.hf_output_path}')
    if tokenizer:
        os.makedirs(args.hf_output_tokenizer, exist_ok=True)
        src = os.path.dirname(tokenizer)
        layouts.copy_tokenizer(src, args.hf_output_tokenizer) if os.path.isfile(os.path.join(src, 'tokenizer_config.json')) \
            else layouts.write_tokenizer(args.hf_output_tokenizer, config.get('vocab_size'))
        with open(tokenizer, 'rb') as i, open(os.path.join(args.hf_output_tokenizer, 'tokenizer.model'), 'wb') as o:
            o.write(i.read())
        info(f'Tokenizer saved to {args.hf_output_tokenizer}')


if __name__ == '__main__':
    main()
