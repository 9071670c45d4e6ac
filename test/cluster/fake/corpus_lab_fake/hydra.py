"""Hydra's command-line overrides over an OmegaConf config in struct mode, as NeMo's @hydra_runner
scripts get them: key=value for existing keys, +key=value to add, ++key=value to upsert, ~key to
delete, --cfg job to print the composed config. Messages as hydra/_internal/config_loader_impl.py
and omegaconf write them."""
import copy
import re
import sys

from . import yamlish

HYDRA_TAIL = '\nSet the environment variable HYDRA_FULL_ERROR=1 for a complete stack trace.'


class CompositionError(Exception):
    """args: Hydra's message, then the OmegaConf error that caused it (if any)."""


class MissingMandatoryValue(Exception):
    pass


def _split_top(text, sep=','):
    parts, depth, quote, cur = [], 0, None, ''
    for ch in text:
        if quote:
            cur += ch
            if ch == quote:
                quote = None
            continue
        if ch in '\'"':
            quote = ch
        elif ch in '[{':
            depth += 1
        elif ch in ']}':
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(cur)
            cur = ''
            continue
        cur += ch
    if cur.strip() or parts:
        parts.append(cur)
    return parts


def parse_value(text):
    """Hydra's override value grammar: null/true/false/numbers, quoted strings, [lists], {dicts}."""
    s = text.strip()
    if s.startswith('[') and s.endswith(']'):
        inner = s[1:-1]
        return [parse_value(p) for p in _split_top(inner)] if inner.strip() else []
    if s.startswith('{') and s.endswith('}'):
        inner = s[1:-1]
        out = {}
        for p in (_split_top(inner) if inner.strip() else []):
            k, _, v = p.partition(':')
            out[k.strip()] = parse_value(v)
        return out
    if len(s) >= 2 and s[0] == s[-1] and s[0] in '\'"':
        return s[1:-1]
    lowered = s.lower()
    if lowered == 'null':
        return None
    if lowered in ('true', 'false'):
        return lowered == 'true'
    if re.fullmatch(r'[-+]?\d+', s):
        return int(s)
    if re.fullmatch(r'[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?|[-+]?(inf|nan)', lowered):
        return float(s)
    return s


def _walk(cfg, path, create=False):
    node = cfg
    for i, part in enumerate(path[:-1]):
        if not isinstance(node, dict) or part not in node:
            if create and isinstance(node, dict):
                node[part] = {}
            else:
                return None, part, '.'.join(path[:i + 1])
        node = node[part]
    return node, None, None


def apply(cfg, overrides):
    cfg = copy.deepcopy(cfg)
    for line in overrides:
        if line.startswith('~'):
            key = line[1:].split('=', 1)[0]
            path = key.split('.')
            parent, _, _ = _walk(cfg, path)
            if parent is None or path[-1] not in parent:
                raise CompositionError(f"Could not delete from config. '{key}' does not exist.")
            del parent[path[-1]]
            continue
        if '=' not in line:
            raise CompositionError(f"Error parsing override '{line}'\nmissing EQUAL at '<EOF>'\n"
                                   'See https://hydra.cc/docs/1.2/advanced/override_grammar/basic for details')
        key, _, raw = line.partition('=')
        value = parse_value(raw)
        if key.startswith('++'):
            path = key[2:].split('.')
            parent, _, _ = _walk(cfg, path, create=True)
            parent[path[-1]] = value
        elif key.startswith('+'):
            path = key[1:].split('.')
            parent, _, _ = _walk(cfg, path, create=True)
            if path[-1] in parent:
                raise CompositionError(f"Could not append to config. An item is already at '{key[1:]}'.\n"
                                       f"Either remove + prefix: '{line[1:]}'\n"
                                       f"Or add a second + to add or override '{key[1:]}': '+{line}'\n")
            parent[path[-1]] = value
        else:
            path = key.split('.')
            parent, missing, full = _walk(cfg, path)
            if parent is None or not isinstance(parent, dict) or path[-1] not in parent:
                missing = missing or path[-1]
                full = full or key
                raise CompositionError(f"Could not override '{key}'.\nTo append to your config use +{line}",
                                       f"Key '{missing}' is not in struct\n    full_key: {full}\n    object_type=dict")
            if isinstance(parent[path[-1]], dict) and isinstance(value, dict):
                parent[path[-1]].update(value)
            else:
                parent[path[-1]] = value
    return cfg


def get(cfg, key):
    """cfg.<key> with interpolations resolved; `???` raises MissingMandatoryValue."""
    node = cfg
    for part in key.split('.'):
        node = node[part]
    return resolve(cfg, node, key)


def resolve(cfg, value, key):
    if value == '???':
        raise MissingMandatoryValue(f'Missing mandatory value: {key}\n    full_key: {key}\n    object_type=dict')
    if isinstance(value, str):
        whole = re.fullmatch(r'\$\{([\w.]+)\}', value)
        if whole:
            return get(cfg, whole.group(1))
        return re.sub(r'\$\{([\w.]+)\}', lambda m: str(get(cfg, m.group(1))), value)
    return value


def compose_or_exit(base, argv):
    """(config, overrides, cfg_mode): exits as Hydra does on a bad override or after --cfg."""
    overrides, cfg_mode, i = [], None, 0
    while i < len(argv):
        a = argv[i]
        if a in ('--cfg', '-c'):
            cfg_mode = argv[i + 1] if i + 1 < len(argv) else 'job'
            i += 2
            continue
        if a.startswith('--cfg='):
            cfg_mode = a.split('=', 1)[1]
        elif a.startswith('-'):
            print(f'{sys.argv[0]}: error: unrecognized arguments: {a}', file=sys.stderr)
            sys.exit(2)
        else:
            overrides.append(a)
        i += 1
    try:
        cfg = apply(base, overrides)
    except CompositionError as e:
        # hydra/_internal/utils.py run_and_report: the message, its OmegaConf cause, then the hint.
        sys.stderr.write(e.args[0] + '\n' + ''.join(c + '\n' for c in e.args[1:]) + HYDRA_TAIL + '\n')
        sys.exit(1)
    if cfg_mode is not None:
        if cfg_mode not in ('job', 'hydra', 'all'):
            print(f"{sys.argv[0]}: error: argument --cfg/-c: invalid choice: '{cfg_mode}' (choose from 'job', 'hydra', 'all')", file=sys.stderr)
            sys.exit(2)
        sys.stdout.write(yamlish.dump(cfg))
        sys.exit(0)
    return cfg, overrides


def job_error(overrides, exc_name, message):
    """An exception in the task function, as Hydra reports it (exit 1)."""
    print(f'Error executing job with overrides: {overrides!r}', file=sys.stderr)
    print('Traceback (most recent call last):', file=sys.stderr)
    print(f'{exc_name}: {message}', file=sys.stderr)
    print(HYDRA_TAIL, file=sys.stderr)
    sys.exit(1)
