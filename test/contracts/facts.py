"""Reading facts out of upstream Python sources with `ast`, for the extract_*.py scripts.

Nothing here runs upstream code: argparse calls and assignments are read as syntax, and only
literals (plus a few named forms listed in `value_of`) become values. What cannot be read as a value
is kept as {"expr": <source text>} so a reader of the contract sees exactly what upstream wrote.
"""
import ast
import re
import subprocess


def git_show(repo, commit, path):
    return subprocess.run(['git', '--git-dir', repo, 'show', f'{commit}:{path}'],
                          check=True, capture_output=True, text=True).stdout


def git_files(repo, commit, prefix=''):
    out = subprocess.run(['git', '--git-dir', repo, 'ls-tree', '-r', '--name-only', commit, '--', prefix or '.'],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line]


def source(repo, commit, path):
    return {'repo': repo_name(repo), 'commit': commit, 'path': path}


def repo_name(repo):
    # /work/.mirror/<owner>+<name>/repo → owner/name
    parts = [p for p in repo.rstrip('/').split('/') if '+' in p]
    return parts[-1].replace('+', '/', 1) if parts else repo


def resolve_commit(repo, rev):
    return subprocess.run(['git', '--git-dir', repo, 'rev-parse', f'{rev}^{{commit}}'],
                          check=True, capture_output=True, text=True).stdout.strip()


class Enums:
    """Enum classes of a module (`class X(enum.Enum): a = 1 …`), by class name → member names/values."""

    def __init__(self):
        self.by_name = {}

    def add_source(self, text):
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and any(
                    (isinstance(b, ast.Attribute) and b.attr == 'Enum') or (isinstance(b, ast.Name) and b.id == 'Enum')
                    for b in node.bases):
                members = []
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                        try:
                            members.append((stmt.targets[0].id, ast.literal_eval(stmt.value)))
                        except ValueError:
                            members.append((stmt.targets[0].id, None))
                self.by_name[node.name] = members


def value_of(node, text, enums=None):
    """A JSON value for an expression, or {"expr": source} when it is not one."""
    seg = ast.get_source_segment(text, node)
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        pass
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Pow, ast.Mult, ast.Add, ast.Sub)):
        left, right = value_of(node.left, text, enums), value_of(node.right, text, enums)
        if isinstance(left, (int, float)) and isinstance(right, (int, float)):
            return {ast.Pow: lambda a, b: a ** b, ast.Mult: lambda a, b: a * b,
                    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b}[type(node.op)](left, right)
    # range(a, b) → the list of numbers
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == 'range':
        nums = [value_of(a, text, enums) for a in node.args]
        if all(isinstance(n, int) for n in nums):
            return list(range(*nums))
    if enums is not None:
        # list(SomeEnum) → member names (argparse compares members; users type names)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == 'list' \
                and len(node.args) == 1 and isinstance(node.args[0], ast.Name) and node.args[0].id in enums.by_name:
            return {'enum': node.args[0].id, 'members': [m for m, _ in enums.by_name[node.args[0].id]], 'expr': seg}
        # [e.value for e in SomeEnum]
        if isinstance(node, ast.ListComp) and len(node.generators) == 1:
            it = node.generators[0].iter
            if isinstance(it, ast.Name) and it.id in enums.by_name and isinstance(node.elt, ast.Attribute) and node.elt.attr == 'value':
                return [v for _, v in enums.by_name[it.id]]
        # SomeEnum.member → the member's name
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in enums.by_name:
            return {'enum': node.value.id, 'member': node.attr, 'expr': seg}
    # int(os.getenv('NAME', 'fallback')) → read from the environment at parse time
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ('int', 'str') and node.args:
        inner = node.args[0]
        if isinstance(inner, ast.Call) and ast.get_source_segment(text, inner.func) in ('os.getenv', 'os.environ.get'):
            env = [ast.literal_eval(a) for a in inner.args]
            return {'env': env[0], 'fallback': env[1] if len(env) > 1 else None, 'cast': node.func.id, 'expr': seg}
    return {'expr': seg}


def type_of(node, text, enums=None):
    seg = ast.get_source_segment(text, node)
    if isinstance(node, ast.Name) and node.id in ('int', 'float', 'str', 'bool'):
        return node.id
    # type=lambda x: SomeEnum[x] → look a member up by name
    if isinstance(node, ast.Lambda) and isinstance(node.body, ast.Subscript) and isinstance(node.body.value, ast.Name) \
            and enums is not None and node.body.value.id in enums.by_name:
        return {'enum': node.body.value.id, 'expr': seg}
    return {'expr': seg}


def argparse_calls(text, function=None, enums=None, receivers=None):
    """Every `<x>.add_argument(...)` in `function` (or the module), in source order.

    `receivers`: when given, only calls on these variable names (e.g. parser, group).
    """
    tree = ast.parse(text)
    scope = tree
    if function is not None:
        matches = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function]
        if not matches:
            raise SystemExit(f'no function {function}() in the source')
        scope = matches[0]
    calls = [n for n in ast.walk(scope)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == 'add_argument'
             and (receivers is None or (isinstance(n.func.value, ast.Name) and n.func.value.id in receivers))]
    calls.sort(key=lambda n: (n.lineno, n.col_offset))
    return [option_of(c, text, enums) for c in calls]


def option_of(call, text, enums=None):
    names = [ast.literal_eval(a) for a in call.args]
    opt = {'names': names, 'line': call.lineno}
    for kw in call.keywords:
        if kw.arg == 'help':
            # Keep the help text only where it marks the option deprecated or ignored.
            try:
                text_help = ast.literal_eval(kw.value)
            except ValueError:
                continue
            if isinstance(text_help, str) and re.search(r'deprecat|this flag is ignored', text_help, re.I):
                opt['deprecated_help'] = ' '.join(text_help.split())
            continue
        if kw.arg == 'type':
            opt['type'] = type_of(kw.value, text, enums)
        elif kw.arg == 'action':
            seg = ast.get_source_segment(text, kw.value)
            opt['action'] = 'BooleanOptionalAction' if seg.endswith('BooleanOptionalAction') else ast.literal_eval(kw.value)
        else:
            opt[kw.arg] = value_of(kw.value, text, enums)
    if 'dest' not in opt:
        longs = [n for n in names if n.startswith('--')]
        first = (longs or names)[0]
        opt['dest'] = first.lstrip('-').replace('-', '_')
    return opt


def function_calls(text, function):
    """Names of the functions called as statements `x = f(x)` / `f(x)` in `function`, in order."""
    tree = ast.parse(text)
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
    out = []
    for stmt in fn.body:
        call = stmt.value if isinstance(stmt, (ast.Assign, ast.Expr)) else None
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
            out.append(call.func.id)
    return out


def find_raise_or_assert(text, function, needle):
    """The first `raise X('…needle…')` or `assert cond, '…needle…'` in `function`, with its condition."""
    tree = ast.parse(text)
    fn = tree if function is None else next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == function)
    parents = {}
    for node in ast.walk(fn):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    for node in ast.walk(fn):
        seg = ast.get_source_segment(text, node) or ''
        if isinstance(node, ast.Assert) and node.msg is not None and needle in (ast.get_source_segment(text, node.msg) or ''):
            return {'kind': 'assert', 'line': node.lineno, 'test': ast.get_source_segment(text, node.test),
                    'message': ast.get_source_segment(text, node.msg), 'within': enclosing_ifs(node, parents, text)}
        if isinstance(node, ast.Raise) and needle in seg:
            return {'kind': 'raise', 'line': node.lineno, 'raise': ast.get_source_segment(text, node.exc),
                    'within': enclosing_ifs(node, parents, text)}
    raise SystemExit(f'{function}(): nothing raises or asserts with {needle!r}')


def enclosing_ifs(node, parents, text):
    out = []
    while node in parents:
        parent = parents[node]
        if isinstance(parent, ast.If):
            cond = ast.get_source_segment(text, parent.test)
            out.append(cond if node in parent.body else f'not ({cond})')
        node = parent
    return list(reversed(out))
