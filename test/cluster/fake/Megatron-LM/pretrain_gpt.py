#!/usr/bin/env python3
"""Stand-in for Megatron-LM's pretrain_gpt.py (NVIDIA/Megatron-LM core_v0.15.3, see
../contracts/README.md §2): the real option table (contracts/megatron-pretrain.json), the checks of
validate_args that matter for a GPT run, --load as checkpointing.py reads it, the data and tokenizer
files, training_log's lines, and checkpoints in upstream's layout.

Test hooks: --train-iters 13 fails after 3 iterations with a traceback (exit 1); --train-iters 999999
runs until Slurm stops it. Iterations sleep ~0.05 s.
"""
import ast
import math
import os
import sys
import time
import zlib
from datetime import datetime

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from corpus_lab_fake import contract, layouts, lineage  # noqa: E402

C = contract.load('megatron-pretrain.json')


def fail(exc, message):
    """An uncaught exception as Python prints it (exit 1)."""
    sys.stdout.flush()
    print('Traceback (most recent call last):\n  File "pretrain_gpt.py", line 1, in <module>', file=sys.stderr)
    print(f'{exc}: {message}' if message else exc, file=sys.stderr)
    sys.exit(1)


def stand_in(note):
    print(f'[stand-in] {note}', flush=True)


def all_options():
    return [o for g in C['groups'] for o in g['options']]


def parse():
    parser = contract.parser_for(all_options(), prog='pretrain_gpt.py', **C['parser'])
    args = parser.parse_args()
    env = C['world_size_env']
    args.rank = int(os.getenv('RANK', '0'))
    args.world_size = int(os.getenv(env['name'], str(env['default'])))
    return args


def validate(args, argv):
    # Removed options: the parser still defines them, validate_args asserts they are unset.
    for key, dest in (('batch_size_removed', 'batch_size'), ('warmup_removed', 'warmup'), ('model_parallel_size_removed', 'model_parallel_size')):
        if getattr(args, dest) is not None:
            fail('AssertionError', eval_message(C['checks'][key]['message']))
    # Deprecated options validate_args still reads: a notice, or (--checkpoint-activations) exit().
    for notice in C.get('deprecation_notices', []):
        if getattr(args, notice['dest'], None):
            print(notice['message'], flush=True)
            if notice['exits']:
                sys.exit()
    for key, value in C['args_defaults'].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.data_path is not None and args.split is None:
        print('WARNING: Please specify --split when using --data-path. Using legacy default value '
              f'of "{C["split_default"]}"')
        args.split = C['split_default']
    total = args.tensor_model_parallel_size * args.pipeline_model_parallel_size * args.context_parallel_size
    if args.world_size % total != 0:
        fail('AssertionError', f'world size ({args.world_size}) is not divisible by total_model_size (total_model_size={total})')
    args.data_parallel_size = args.world_size // total
    print(f'using world size: {args.world_size}, data-parallel size: {args.data_parallel_size}, '
          f'context-parallel size: {args.context_parallel_size}, hierarchical context-parallel sizes: '
          f'{args.hierarchical_context_parallel_sizes}, tensor-model-parallel size: {args.tensor_model_parallel_size}, '
          f'pipeline-model-parallel size: {args.pipeline_model_parallel_size}', flush=True)
    if args.micro_batch_size is None:
        # upstream multiplies it by the data-parallel size
        fail('TypeError', "unsupported operand type(s) for *: 'NoneType' and 'int'")
    if args.global_batch_size is None:
        args.global_batch_size = args.micro_batch_size * args.data_parallel_size
    if args.global_batch_size % (args.micro_batch_size * args.data_parallel_size) != 0:
        fail('AssertionError', C['global_batch_message'].format(args.global_batch_size, args.micro_batch_size, args.data_parallel_size))
    if args.num_layers is None and args.encoder_num_layers is not None:
        args.num_layers = args.encoder_num_layers
    for req in C['required_args']:
        if getattr(args, req) is None:
            fail('AssertionError', f'{req} argument is None')
    if args.seq_length is not None and args.max_position_embeddings < args.seq_length:
        fail('AssertionError', f'max_position_embeddings ({args.max_position_embeddings}) must be greater than '
                               f'or equal to seq_length ({args.seq_length}).')
    if args.use_rotary_position_embeddings:
        args.position_embedding_type = 'rope'
    if not args.add_position_embedding and args.position_embedding_type != 'rope':
        fail(*raised(C['checks']['no_position_embedding']))
    if args.save is not None:
        if args.save_interval is None or args.save_interval <= 0:
            fail('AssertionError', '')
    sources = int(bool(args.mock_data)) + int(bool(args.data_path)) + int(any([args.train_data_path, args.valid_data_path, args.test_data_path]))
    if sources > 1:
        fail('AssertionError', 'A single data source must be provided in training mode, else None')
    if args.train_iters is None and args.train_samples is None:
        fail('AssertionError', '[stand-in] iteration-based training needs --train-iters (sample-based --train-samples is not modelled)')
    for o in all_options():
        if o.get('deprecated_help') and contract.given(argv, o['names']):
            stand_in(f"{o['names'][0]}: upstream's help says \"{o['deprecated_help']}\"")
        if o.get('read_only_by') and contract.given(argv, o['names']) and not args.use_legacy_models:
            stand_in(f"{o['names'][0]} is read only by {', '.join(o['read_only_by'])} at {short(C['source'])} "
                     f"(legacy models, --use-legacy-models); Megatron-Core models ignore it"
                     + ('; --attention-backend chooses attention' if o['dest'] == 'use_flash_attn' else ''))


def eval_message(src):
    # The removed-option messages are plain string literals split over lines.
    return ast.literal_eval('(' + src.replace('\\\n', ' ') + ')')


def raised(check):
    """(exception name, message) of a `raise X('literal')` recorded in the contract."""
    call = ast.parse(check['raise'], mode='eval').body
    return call.func.id, ast.literal_eval(call.args[0])


def short(src):
    return f"{src['repo']}@{src['commit'][:10]}"


def check_tokenizer(args):
    kind = args.tokenizer_type
    if kind == 'GPT2BPETokenizer':
        for dest in ('vocab_file', 'merge_file'):
            if getattr(args, dest) is None:
                fail('AssertionError', '')
            if not os.path.isfile(getattr(args, dest)):
                fail('FileNotFoundError', f"[Errno 2] No such file or directory: '{getattr(args, dest)}'")
    elif kind in ('SentencePieceTokenizer', 'GPTSentencePieceTokenizer', 'Llama2Tokenizer'):
        if args.tokenizer_model is None:
            fail('AssertionError', '')
        if not os.path.isfile(args.tokenizer_model):
            fail('OSError', f'Not found: "{args.tokenizer_model}": No such file or directory Error #2')
    elif kind == 'HuggingFaceTokenizer':
        if args.tokenizer_model is None or not os.path.exists(args.tokenizer_model):
            fail('OSError', f"Can't load tokenizer for '{args.tokenizer_model}'.")
        if os.path.isdir(args.tokenizer_model):
            try:
                layouts.hf_tokenizer(args.tokenizer_model)
            except OSError as e:
                fail('OSError', str(e))
    elif kind == 'NullTokenizer':
        if args.vocab_size is None:
            fail('AssertionError', '')
    print(f'> building {kind} tokenizer ...', flush=True)


def blend(data_path):
    """megatron/core/datasets/utils.py get_blend_from_list, including its map()-iterator check."""
    if len(data_path) % 2 == 1:
        return [p.strip() for p in data_path], None
    raw_w, raw_p = zip(*[(data_path[i], data_path[i + 1]) for i in range(0, len(data_path), 2)])
    weights = []
    for w in raw_w:
        try:
            weights.append(float(w))
        except ValueError:
            weights.append(None)
    is_none = map(lambda _: _ is None, weights)
    if any(is_none):
        if not all(is_none):
            fail('AssertionError', '')
        return [p.strip() for p in data_path], None
    return [p.strip() for p in raw_p], weights


def check_data(args):
    if args.mock_data:
        return []
    if not args.data_path:
        fail('AssertionError', '[stand-in] no training data: give --data-path (or --mock-data)')
    prefixes, _ = blend(args.data_path)
    header = C['indexed_dataset']['idx_header_latin1'].encode('latin-1')
    for p in prefixes:
        idx, binf = p + '.idx', p + '.bin'
        if not os.path.isfile(idx):
            fail('FileNotFoundError', f"[Errno 2] No such file or directory: '{idx}'")
        with open(idx, 'rb') as f:
            if f.read(len(header)) != header:
                fail('AssertionError', C['indexed_dataset']['bad_header'].format(idx_path=idx))
        if not os.path.isfile(binf):
            fail('FileNotFoundError', f"[Errno 2] No such file or directory: '{binf}'")
    return prefixes


MODEL_KEYS = ('num_layers', 'hidden_size', 'num_attention_heads', 'ffn_hidden_size', 'num_query_groups')


def effective_shape(args):
    """The model shape validate_args derives: ffn size from --swiglu when not given, one query group per head without GQA."""
    shape = {k: getattr(args, k) for k in MODEL_KEYS}
    if shape['ffn_hidden_size'] is None and args.hidden_size is not None:
        shape['ffn_hidden_size'] = int((4 * args.hidden_size * 2 / 3) / 64) * 64 if args.swiglu else 4 * args.hidden_size
    if not args.group_query_attention:
        shape['num_query_groups'] = args.num_attention_heads
    return shape


def model_args(args, stored):
    # What the run does not set (vocabulary, converter facts) stays as the loaded checkpoint had it.
    out = dict(stored)
    out.update(effective_shape(args))
    out.update(tensor_model_parallel_size=args.tensor_model_parallel_size,
               pipeline_model_parallel_size=args.pipeline_model_parallel_size)
    return out


def load(args):
    """(iteration, consumed samples, lineage, resumed) as checkpointing.load_checkpoint leaves them."""
    msgs = C['checkpoint']['messages']
    tracker = os.path.join(args.load, layouts.TRACKER) if args.load else 'because load directory is not defined'
    if not args.load or not os.path.isfile(tracker):
        print(msgs['no_tracker'][0].format(tracker))
        print(msgs['no_tracker'][1], flush=True)
        if args.exit_on_missing_checkpoint:
            print(">> '--exit-on-missing-checkpoint' set ... exiting. <<")
            sys.exit()
        return 0, 0, ['random'], False, {}
    text = open(tracker).read().strip()
    release = False
    try:
        iteration = int(text)
    except ValueError:
        release = text == 'release'
        if not release:
            print(msgs['invalid_tracker'].format(tracker), flush=True)
            sys.exit()
        iteration = 0
    iter_dir = os.path.join(args.load, layouts.megatron_iter_dir(iteration, release))
    if not os.path.isdir(iter_dir):
        fail('FileNotFoundError', f"[Errno 2] No such file or directory: '{iter_dir}'")
    try:
        fmt = layouts.checkpoint_format(iter_dir)
    except NotImplementedError as e:
        fail('NotImplementedError', str(e))
    infix = 'distributed ' if fmt == 'torch_dist' else ''
    if release:
        print(f' loading release {infix}checkpoint from {args.load}')
    else:
        print(f' loading {infix}checkpoint from {args.load} at iteration {iteration}')
    if fmt == 'torch':
        for rank_dir in layouts.torch_rank_dirs(args.tensor_model_parallel_size, args.pipeline_model_parallel_size):
            path = os.path.join(iter_dir, rank_dir, C['checkpoint']['torch_file'])
            if not os.path.isfile(path):
                print(msgs['load_failed'])
                print(f"[Errno 2] No such file or directory: '{path}'", flush=True)
                stand_in('a torch-format checkpoint is read per tensor/pipeline rank: convert it with '
                         f'--target-tensor-parallel-size {args.tensor_model_parallel_size} '
                         f'--target-pipeline-parallel-size {args.pipeline_model_parallel_size}')
                sys.exit()
    stored = layouts.checkpoint_args(iter_dir)
    effective = effective_shape(args)
    for key in MODEL_KEYS:
        mine, theirs = effective[key], stored.get(key)
        if theirs is not None and mine is not None and mine != theirs:
            fail('RuntimeError', f'Error(s) in loading state_dict for GPTModel:\n\t[stand-in] size mismatch: '
                                 f'--{key.replace("_", "-")} {mine} but the checkpoint has {theirs}')
    try:
        lin = lineage.read(iter_dir)
    except (OSError, ValueError) as e:
        fail('FileNotFoundError', f'[stand-in] {e}')
    resumed = not (args.finetune or release)
    start = 0 if (args.finetune or release) else iteration
    consumed = 0 if not resumed else stored.get('consumed_train_samples', start * args.global_batch_size)
    if resumed:
        opt = 'not loaded (--no-load-optim)' if args.no_load_optim else 'loaded from the checkpoint'
        stand_in(f'resuming at iteration {start} (neither --finetune nor a release checkpoint); optimizer and scheduler {opt}')
    print(f'  successfully loaded checkpoint from {args.load} [ t 1/{args.tensor_model_parallel_size}, '
          f'p 1/{args.pipeline_model_parallel_size} ] at iteration {start}', flush=True)
    return start, consumed, lin, resumed, stored


def learning_rate(args, it):
    lr = args.lr if args.lr is not None else 1e-4
    min_lr = args.min_lr or 0.0
    warm = args.lr_warmup_iters or 0
    if warm and it <= warm:
        return lr * it / warm
    decay = args.lr_decay_iters or args.train_iters
    if args.lr_decay_style == 'constant' or decay <= warm:
        return lr
    ratio = min(1.0, (it - warm) / max(1, decay - warm))
    if args.lr_decay_style == 'linear':
        return lr - (lr - min_lr) * ratio
    return min_lr + (lr - min_lr) * 0.5 * (math.cos(math.pi * ratio) + 1)


def loss_floor(args):
    # A real run's loss depends on its data; the stand-in's floor moves with its blend (0 to 0.4),
    # so two recipes compared side by side are two curves, not one drawn twice.
    blend_text = ' '.join(args.data_path or [])
    return 2.5 + (zlib.crc32(blend_text.encode()) % 100) / 250


def log_line(args, it, consumed):
    s = f" [{datetime.now().strftime(C['training_log']['timestamp'])}]"
    s += ' iteration {:8d}/{:8d} |'.format(it, args.train_iters)
    s += ' consumed samples: {:12d} |'.format(consumed)
    s += ' elapsed time per iteration (ms): {:.1f} |'.format(1234.5)
    if args.log_throughput:
        s += f' throughput per GPU (TFLOP/s/GPU): {180.5:.1f} |'
    s += f' learning rate: {learning_rate(args, it):.6E} |'
    s += f' global batch size: {args.global_batch_size:5d} |'
    s += ' {}: {:.6E} |'.format('lm loss', loss_floor(args) + 8.0 / (it + 1))
    s += f' loss scale: {1.0:.1f} |'
    s += f' grad norm: {0.5:.3f} |'
    s += ' number of skipped iterations: {:3d} |'.format(0)
    s += ' number of nan iterations: {:3d} |'.format(0)
    print(s, flush=True)


def save(args, iteration, consumed, lin, stored):
    margs = model_args(args, stored)
    margs['consumed_train_samples'] = consumed
    print(f'saving checkpoint at iteration {iteration:7d} to {args.save} in {args.ckpt_format} format', flush=True)
    layouts.write_megatron(args.save, iteration, args.ckpt_format, args.tensor_model_parallel_size,
                           args.pipeline_model_parallel_size, margs, lin)
    print(f'  successfully saved checkpoint from iteration {iteration:7d} to {args.save}', flush=True)


def main():
    argv = sys.argv[1:]
    args = parse()
    validate(args, argv)
    if contract.check_only():
        contract.checked()
    check_tokenizer(args)
    prefixes = check_data(args)
    iteration, consumed, loaded, resumed, stored = load(args)
    # A resumed run continues its own CPT entry instead of adding a second one.
    base = loaded[:-1] if resumed and loaded and loaded[-1].startswith('cpt:') else loaded
    trained = 0
    print('training ...', flush=True)
    while iteration < args.train_iters:
        iteration += 1
        trained += 1
        consumed += args.global_batch_size
        if iteration % args.log_interval == 0:
            log_line(args, iteration, consumed)
        if args.train_iters == 13 and trained == 3:
            sys.stdout.flush()
            print('Traceback (most recent call last):\n  File "pretrain_gpt.py", line 1, in <module>\n'
                  'RuntimeError: CUDA error: an illegal memory access was encountered', file=sys.stderr)
            sys.exit(1)
        if args.save and args.save_interval and iteration % args.save_interval == 0:
            save(args, iteration, consumed, base + [lineage.cpt_entry(prefixes, iteration)], stored)
        time.sleep(0.05)
    print(f"[after training is done] datetime: {datetime.now().strftime('%Y-%m-%d %H:%M:%S')} ", flush=True)
    if args.save and iteration != 0 and iteration % args.save_interval != 0:
        save(args, iteration, consumed, (base + [lineage.cpt_entry(prefixes, iteration)]) if trained else loaded, stored)
    if trained == 0:
        stand_in(f'no iteration trained: the loaded iteration {iteration} is not below --train-iters {args.train_iters}')


if __name__ == '__main__':
    main()
