"""The block-style YAML subset OmegaConf.to_yaml prints (mappings, lists, scalars), written and read
back without PyYAML, which the cluster node need not have."""
import json
import re

_PLAIN = re.compile(r'^[A-Za-z_/.$][\w./${}:@+-]*$')
_RESERVED = {'null', 'Null', 'NULL', '~', 'true', 'false', 'True', 'False', 'TRUE', 'FALSE', 'yes', 'no', 'on', 'off'}


def scalar(v):
    if v is None:
        return 'null'
    if v is True:
        return 'true'
    if v is False:
        return 'false'
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v)
    if s == '???':
        return s
    if _PLAIN.match(s) and s not in _RESERVED and ': ' not in s and not s.endswith(':'):
        return s
    if all(0x20 <= ord(c) < 0x7f for c in s) and "'" not in s:
        return f"'{s}'"
    return json.dumps(s)


def dump(node, indent=0):
    pad = ' ' * indent
    out = []
    for k, v in node.items():
        key = scalar(k)
        if isinstance(v, dict):
            out.append(f'{pad}{key}:' + (' {}' if not v else ''))
            if v:
                out.append(dump(v, indent + 2).rstrip('\n'))
        elif isinstance(v, list):
            out.append(f'{pad}{key}:' + (' []' if not v else ''))
            for item in v:
                if isinstance(item, dict):
                    inner = dump(item, indent + 4).rstrip('\n').split('\n')
                    out.append(f'{pad}- ' + inner[0].lstrip())
                    out.extend(inner[1:])
                else:
                    out.append(f'{pad}- {scalar(item)}')
        else:
            out.append(f'{pad}{key}: {scalar(v)}')
    return '\n'.join(out) + '\n'


def parse_scalar(s):
    s = s.strip()
    if s in ('null', '~', ''):
        return None
    if s in ('true', 'True'):
        return True
    if s in ('false', 'False'):
        return False
    if s == '{}':
        return {}
    if s == '[]':
        return []
    if s.startswith('"'):
        return json.loads(s)
    if s.startswith("'") and s.endswith("'"):
        return s[1:-1].replace("''", "'")
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return s


def load(text):
    """Reads what dump() writes."""
    lines = [l for l in text.split('\n') if l.strip() and not l.lstrip().startswith('#')]
    pos = 0

    def block(indent):
        nonlocal pos
        if pos < len(lines) and lines[pos].startswith(' ' * indent + '- '):
            items = []
            while pos < len(lines) and lines[pos].startswith(' ' * indent + '- '):
                items.append(parse_scalar(lines[pos][indent + 2:]))
                pos += 1
            return items
        node = {}
        while pos < len(lines):
            line = lines[pos]
            cur = len(line) - len(line.lstrip(' '))
            if cur < indent:
                break
            key, _, rest = line.strip().partition(':')
            key = parse_scalar(key)
            pos += 1
            if rest.strip() == '':
                if pos < len(lines) and (len(lines[pos]) - len(lines[pos].lstrip(' ')) > cur
                                         or lines[pos].startswith(' ' * cur + '- ')):
                    nxt = len(lines[pos]) - len(lines[pos].lstrip(' '))
                    node[key] = block(nxt)
                else:
                    node[key] = None
            else:
                node[key] = parse_scalar(rest)
        return node

    return block(0)
