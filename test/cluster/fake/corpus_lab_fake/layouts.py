"""The on-disk layouts the real tools read and write (see ../contracts/README.md, "Artifacts"):
a Hugging Face model directory, a Megatron-LM checkpoint, a NeMo .nemo tar. Weights are tiny
placeholders (no torch here); names, directories and formats are upstream's."""
import io
import json
import os
import struct
import tarfile
import tempfile

from . import lineage as lineage_mod
from .yamlish import dump as yaml_dump, load as yaml_load

# ---------------------------------------------------------------- safetensors

def write_safetensors(path, tensors):
    """tensors: name → (dtype, shape, bytes). Format: u64 LE header length, JSON header, data."""
    header, data, offset = {'__metadata__': {'format': 'pt'}}, b'', 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    blob = json.dumps(header, separators=(',', ':')).encode()
    blob += b' ' * (-len(blob) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(blob)) + blob + data)


def read_safetensors_header(path):
    with open(path, 'rb') as f:
        head = f.read(8)
        if len(head) != 8:
            raise ValueError(f'{path}: not a safetensors file (shorter than 8 bytes)')
        (n,) = struct.unpack('<Q', head)
        try:
            return json.loads(f.read(n))
        except ValueError as e:
            raise ValueError(f'{path}: not a safetensors file ({e})')


# ---------------------------------------------------------------- Hugging Face

TOKENIZER_FILES = ('tokenizer.json', 'tokenizer.model', 'tokenizer_config.json', 'special_tokens_map.json')


def llama_tensor_names(num_layers):
    names = ['model.embed_tokens.weight']
    for i in range(num_layers):
        p = f'model.layers.{i}.'
        names += [p + s for s in ('input_layernorm.weight', 'self_attn.q_proj.weight', 'self_attn.k_proj.weight',
                                  'self_attn.v_proj.weight', 'self_attn.o_proj.weight', 'post_attention_layernorm.weight',
                                  'mlp.gate_proj.weight', 'mlp.up_proj.weight', 'mlp.down_proj.weight')]
    return names + ['model.norm.weight', 'lm_head.weight']


def write_tokenizer(directory, vocab_size):
    # Placeholder tokenizer files with the names transformers looks for.
    with open(os.path.join(directory, 'tokenizer.model'), 'wb') as f:
        f.write(b'\n\x0ecorpus-lab-sp\x00' + bytes(16))
    with open(os.path.join(directory, 'tokenizer.json'), 'w') as f:
        json.dump({'version': '1.0', 'model': {'type': 'BPE', 'vocab': {'<unk>': 0, '<s>': 1, '</s>': 2}, 'merges': []},
                   'added_tokens': [], 'corpus_lab': f'placeholder for a {vocab_size}-token vocabulary'}, f)
    with open(os.path.join(directory, 'tokenizer_config.json'), 'w') as f:
        json.dump({'tokenizer_class': 'LlamaTokenizer', 'bos_token': '<s>', 'eos_token': '</s>', 'unk_token': '<unk>',
                   'model_max_length': 4096}, f, indent=1)
    with open(os.path.join(directory, 'special_tokens_map.json'), 'w') as f:
        json.dump({'bos_token': '<s>', 'eos_token': '</s>', 'unk_token': '<unk>'}, f, indent=1)


def copy_tokenizer(src, dst):
    for name in TOKENIZER_FILES:
        if os.path.exists(os.path.join(src, name)):
            with open(os.path.join(src, name), 'rb') as i, open(os.path.join(dst, name), 'wb') as o:
                o.write(i.read())


def write_hf(directory, config, lineage, tokenizer_from=None, shards=2):
    """save_pretrained's layout: config.json, generation_config.json, sharded safetensors + index."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(directory, 'generation_config.json'), 'w') as f:
        json.dump({'_from_model_config': True, 'bos_token_id': 1, 'eos_token_id': 2}, f, indent=2)
    names = llama_tensor_names(config['num_hidden_layers'])
    per = -(-len(names) // shards)
    weight_map, total = {}, 0
    for s in range(shards):
        file = f'model-{s + 1:05d}-of-{shards:05d}.safetensors'
        chunk = {n: ('BF16', [1], b'\x00\x00') for n in names[s * per:(s + 1) * per]}
        write_safetensors(os.path.join(directory, file), chunk)
        for n in chunk:
            weight_map[n] = file
            total += 2
    with open(os.path.join(directory, 'model.safetensors.index.json'), 'w') as f:
        json.dump({'metadata': {'total_size': total}, 'weight_map': weight_map}, f, indent=2)
    if tokenizer_from:
        copy_tokenizer(tokenizer_from, directory)
    lineage_mod.write(directory, lineage)


class NotHuggingFace(OSError):
    pass


def hf_config(path):
    """AutoConfig.from_pretrained(path) for a local directory. The message is transformers 4.38.0's
    (med-eval's pin; utils/hub.py cached_file), where the revision is None for a local folder."""
    cfg = os.path.join(path, 'config.json')
    if not os.path.isfile(cfg):
        raise NotHuggingFace(f"{path} does not appear to have a file named config.json. Checkout "
                             f"'https://huggingface.co/{path}/None' for available files.")
    with open(cfg) as f:
        return json.load(f)


def hf_weights(path):
    """AutoModelForCausalLM.from_pretrained(path): a safetensors file or an index whose shards exist."""
    index = os.path.join(path, 'model.safetensors.index.json')
    if os.path.isfile(index):
        with open(index) as f:
            shards = sorted(set(json.load(f)['weight_map'].values()))
        for s in shards:
            read_safetensors_header(os.path.join(path, s))
        return shards
    if os.path.isfile(os.path.join(path, 'model.safetensors')):
        read_safetensors_header(os.path.join(path, 'model.safetensors'))
        return ['model.safetensors']
    for legacy in ('pytorch_model.bin', 'pytorch_model.bin.index.json'):
        if os.path.isfile(os.path.join(path, legacy)):
            return [legacy]
    raise NotHuggingFace(f'Error no file named pytorch_model.bin, model.safetensors, tf_model.h5, model.ckpt.index or '
                         f'flax_model.msgpack found in directory {path}.')


def hf_tokenizer(path):
    """AutoTokenizer.from_pretrained(path): tokenizer.json or tokenizer.model."""
    if not any(os.path.isfile(os.path.join(path, n)) for n in ('tokenizer.json', 'tokenizer.model')):
        raise NotHuggingFace(f"Can't load tokenizer for '{path}'. If you were trying to load it from "
                             f"'https://huggingface.co/models', make sure you don't have a local directory with the same name. "
                             f"Otherwise, make sure '{path}' is the correct path to a directory containing all relevant files "
                             f"for a LlamaTokenizerFast tokenizer.")


def check_hf(path, tokenizer=True, generation_config=False):
    if not os.path.isdir(path):
        raise NotHuggingFace(f"Incorrect path_or_model_id: '{path}'. Please provide either the path to a local folder or "
                             f"the repo_id of a model on the Hub.")
    # AutoTokenizer reads config.json first (to pick the tokenizer class), so that file fails first.
    config = hf_config(path)
    if tokenizer:
        hf_tokenizer(path)
    hf_weights(path)
    if generation_config and not os.path.isfile(os.path.join(path, 'generation_config.json')):
        raise NotHuggingFace(f'{path} does not appear to have a file named generation_config.json.')
    return config


# ---------------------------------------------------------------- Megatron-LM

TRACKER = 'latest_checkpointed_iteration.txt'


def megatron_iter_dir(iteration, release=False):
    return 'release' if release else f'iter_{iteration:07d}'


def torch_rank_dirs(tp, pp):
    if pp == 1:
        return [f'mp_rank_{t:02d}' for t in range(tp)]
    return [f'mp_rank_{t:02d}_{p:03d}' for t in range(tp) for p in range(pp)]


def write_megatron(save, iteration, fmt, tp, pp, model_args, lineage, release=False):
    d = os.path.join(save, megatron_iter_dir(iteration, release))
    os.makedirs(d, exist_ok=True)
    payload = json.dumps({'corpus_lab_placeholder': 'not a torch file', 'iteration': iteration, 'args': model_args}, indent=1)
    if fmt == 'torch':
        for r in torch_rank_dirs(tp, pp):
            os.makedirs(os.path.join(d, r), exist_ok=True)
            with open(os.path.join(d, r, 'model_optim_rng.pt'), 'w') as f:
                f.write(payload)
    else:
        with open(os.path.join(d, 'metadata.json'), 'w') as f:
            json.dump({'sharded_backend': 'torch_dist', 'sharded_backend_version': 1,
                       'common_backend': 'torch', 'common_backend_version': 1}, f)
        with open(os.path.join(d, 'common.pt'), 'w') as f:
            f.write(payload)
        with open(os.path.join(d, '.metadata'), 'w') as f:
            f.write('{}')
        for r in range(tp * pp):
            with open(os.path.join(d, f'__{r}_0.distcp'), 'w') as f:
                f.write('{}')
    lineage_mod.write(d, lineage)
    with open(os.path.join(save, TRACKER), 'w') as f:
        f.write('release' if release else str(iteration))
    return d


def checkpoint_format(iter_dir):
    """megatron/training/checkpointing.py _get_checkpoint_format."""
    names = os.listdir(iter_dir)
    if os.path.isfile(os.path.join(iter_dir, 'metadata.json')):
        return 'torch_dist'
    if any(n.startswith('mp_rank_0') for n in names):
        return 'torch'
    if os.path.exists(os.path.join(iter_dir, '.metadata')):
        return 'torch_dcp'
    raise NotImplementedError(f'unknown checkpoint format in {iter_dir}')


def checkpoint_args(iter_dir):
    fmt = checkpoint_format(iter_dir)
    first = os.path.join(iter_dir, 'common.pt') if fmt == 'torch_dist' else os.path.join(
        iter_dir, sorted(n for n in os.listdir(iter_dir) if n.startswith('mp_rank_'))[0], 'model_optim_rng.pt')
    with open(first) as f:
        return json.load(f)['args']


# ---------------------------------------------------------------- NeMo

def write_nemo(path, model_config, lineage, tokenizer_model=None, adapter_only=False):
    """SaveRestoreConnector.save_to: an uncompressed tar of a folder, arcname '.'."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = dict(model_config)
        if tokenizer_model:
            art = 'a1b2c3d4_tokenizer.model'
            with open(tokenizer_model, 'rb') as i, open(os.path.join(tmp, art), 'wb') as o:
                o.write(i.read())
            cfg['tokenizer'] = {'library': 'sentencepiece', 'type': None, 'model': f'nemo:{art}'}
        if adapter_only:
            cfg['corpus_lab_adapter_weights_only'] = True
        with open(os.path.join(tmp, 'model_config.yaml'), 'w') as f:
            f.write(yaml_dump(cfg))
        w = os.path.join(tmp, 'model_weights')
        os.makedirs(w)
        with open(os.path.join(w, 'metadata.json'), 'w') as f:
            json.dump({'sharded_backend': 'torch_dist', 'sharded_backend_version': 1,
                       'common_backend': 'torch', 'common_backend_version': 1}, f)
        for n in ('common.pt', '__0_0.distcp', '.metadata'):
            with open(os.path.join(w, n), 'w') as f:
                f.write('{}')
        lineage_mod.write(tmp, lineage)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with tarfile.open(path, 'w:') as tar:
            tar.add(tmp, arcname='.')


def open_nemo(path):
    """_tar_open: an uncompressed tar first, then gzip; a directory fails in open() as upstream."""
    if not os.path.exists(path):
        raise FileNotFoundError(f'{path} does not exist')
    try:
        return tarfile.open(path, 'r:')
    except tarfile.ReadError:
        return tarfile.open(path, 'r:gz')


def read_nemo(path):
    """(model_config, lineage, member names, tokenizer bytes or None) of a .nemo file or extracted folder."""
    if os.path.isdir(path):
        members = []
        for root, dirs, files in os.walk(path):
            for n in dirs + files:
                members.append('./' + os.path.relpath(os.path.join(root, n), path))
        def get(name):
            p = os.path.join(path, name)
            return open(p, 'rb').read() if os.path.isfile(p) else None
    else:
        tar = open_nemo(path)
        members = [m.name for m in tar.getmembers()]
        def get(name):
            for cand in ('./' + name, name):
                try:
                    return tar.extractfile(cand).read()
                except KeyError:
                    continue
            return None
    raw_cfg = get('model_config.yaml')
    if raw_cfg is None:
        raise FileNotFoundError(f"[Errno 2] No such file or directory: 'model_config.yaml' (in {path})")
    if not any(m.rstrip('/') in ('./model_weights', 'model_weights') for m in members):
        raise AssertionError(f'Expected {os.path.join(path, "model_weights")} to be a directory.')
    cfg = yaml_load(raw_cfg.decode())
    raw_lineage = get(lineage_mod.FILE)
    lin = json.loads(raw_lineage) if raw_lineage is not None else None
    tok = None
    if isinstance(cfg.get('tokenizer'), dict) and str(cfg['tokenizer'].get('model', '')).startswith('nemo:'):
        tok = get(cfg['tokenizer']['model'][5:])
    return cfg, lin, members, tok


def write_bytes(path, data):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def read_text_member(tar, name):
    return io.TextIOWrapper(tar.extractfile(name)).read()
