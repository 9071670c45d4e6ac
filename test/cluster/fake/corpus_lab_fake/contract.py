"""The extracted contracts (../contracts/*.json) and an argparse parser rebuilt from an option table."""
import argparse
import json
import os
import sys

CONTRACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'contracts')


def load(name):
    with open(os.path.join(CONTRACTS, name), encoding='utf-8') as f:
        return json.load(f)


def commit_line(src):
    return f"{src['repo']}@{src['commit']} {src['path']}"


def strtobool(val):
    # distutils.util.strtobool, which med-eval passes as an argparse type.
    val = val.lower()
    if val in ('y', 'yes', 't', 'true', 'on', '1'):
        return 1
    if val in ('n', 'no', 'f', 'false', 'off', '0'):
        return 0
    raise ValueError(f'invalid truth value {val!r}')


def _named(fn, name):
    fn.__name__ = name
    return fn


def _type(spec):
    if spec in ('int', 'float', 'str', 'bool'):
        return {'int': int, 'float': float, 'str': str, 'bool': bool}[spec]
    if isinstance(spec, dict) and 'enum' in spec:
        # upstream: lambda x: Enum[x]; a bad name is argparse's "invalid <lambda> value"
        return _named(lambda v: v, '<lambda>')
    expr = spec.get('expr', '') if isinstance(spec, dict) else str(spec)
    if expr == 'strtobool':
        return strtobool
    # Upstream helper functions (moe_freq_type, tuple_type …) parse richer values; the string is kept.
    return _named(lambda v: v, expr)


def _value(v):
    if isinstance(v, dict):
        if 'env' in v:
            raw = os.environ.get(v['env'], v['fallback'])
            return int(raw) if v.get('cast') == 'int' else raw
        if 'member' in v:
            return v['member']
        if 'members' in v:
            return v['members']
        return None
    return v


def add_options(parser, options, defaults=None):
    """Adds the options of a contract table to `parser`, as upstream's add_argument calls do."""
    for o in options:
        kw = {}
        if 'dest' in o and any(n.startswith('-') for n in o['names']):
            kw['dest'] = o['dest']
        action = o.get('action')
        if action == 'BooleanOptionalAction':
            kw['action'] = argparse.BooleanOptionalAction
        elif action:
            kw['action'] = action
        if 'type' in o and action not in ('store_true', 'store_false'):
            kw['type'] = _type(o['type'])
        for key in ('nargs', 'const', 'required', 'metavar'):
            if key in o:
                kw[key] = o[key]
        if 'default' in o:
            kw['default'] = _value(o['default'])
        if defaults and o['dest'] in defaults:
            kw['default'] = defaults[o['dest']]
        if 'choices' in o:
            kw['choices'] = _value(o['choices'])
        kw['help'] = argparse.SUPPRESS if o.get('hidden') else None
        parser.add_argument(*o['names'], **kw)


def parser_for(options, prog=None, defaults=None, **kwargs):
    parser = argparse.ArgumentParser(prog=prog or os.path.basename(sys.argv[0]), **kwargs)
    add_options(parser, options, defaults)
    return parser


def given(argv, option_names):
    """Whether any of `option_names` appears on the command line (as `--x` or `--x=…`)."""
    return any(a == n or a.startswith(n + '=') for a in argv for n in option_names)


def check_only():
    """CORPUS_LAB_CHECK_ONLY=1: check the command line against the contract (options, values, the checks
    that need no files) and exit 0 before reading or writing anything, so a unit test can check a
    rendered template without a cluster."""
    return os.environ.get('CORPUS_LAB_CHECK_ONLY') == '1'


def checked():
    print('[stand-in] CORPUS_LAB_CHECK_ONLY: the command line holds the contract', flush=True)
    sys.exit(0)
