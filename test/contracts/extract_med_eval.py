#!/usr/bin/env python3
"""Extracts nii-nlp/med-eval's contracts (the evaluate_*.py options, asserts, task and template names,
metric keys, the CSV writer's format and med-eval's own task→template pairing) into
test/cluster/fake/contracts/med-eval.json.

  extract_med_eval.py <nii-nlp/med-eval git dir> <commit> <out dir>
"""
import ast
import json
import os
import re
import sys

from facts import argparse_calls, find_raise_or_assert, git_show, resolve_commit, source

SCRIPTS = {
    'evaluate_mcqa.py': {'templates': 'templates/mcqa.py', 'families': ['MCQA', 'DC']},
    'evaluate_mt.py': {'templates': 'templates/mt.py', 'families': ['MT']},
    'evaluate_ner.py': {'templates': 'templates/ner.py', 'families': ['NER']},
    'evaluate_sts.py': {'templates': 'templates/nli.py', 'families': ['STS']},
}


def template_names(text):
    tree = ast.parse(text)
    node = next(n for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
                and n.targets[0].id == 'TEMPLATE_SET')
    return [ast.literal_eval(k) for k in node.value.keys]


def metric_keys(text):
    """Keys of the dict the pipeline's evaluate() returns first (later returns are dead code upstream)."""
    tree = ast.parse(text)
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == 'evaluate'):
            for node in ast.walk(fn):
                if isinstance(node, ast.Return) and isinstance(node.value, ast.Dict):
                    return [ast.literal_eval(k) for k in node.value.keys]
    raise SystemExit('no evaluate() returning a dict')


def readme_tasks(readme):
    """`+ [x] \\`name\\`` items under '### Supported tasks', by numbered section."""
    part = readme.split('### Supported tasks', 1)[1].split('###', 1)[0]
    sections, current = {}, None
    for line in part.splitlines():
        head = re.match(r'^\d+\.\s+(.+?)\s*$', line)
        if head:
            current = head.group(1)
            sections[current] = []
        item = re.match(r'^\s*\+\s*\[[xX]\]\s*`([^`]+)`', line)
        if item and current:
            sections[current].append(item.group(1))
    return sections


def template_table(readme):
    """The README's 'Supported prompt templates' table: family → Minimal, Standard, English Centric, Instructed."""
    part = readme.split('### Supported prompt templates', 1)[1].split('###', 1)[0]
    rows = [l for l in part.splitlines() if l.startswith('|')]
    head = [c.strip() for c in rows[0].strip('|').split('|')]
    table = []
    for line in rows[2:]:
        cells = [c.strip() for c in line.strip('|').split('|')]
        table.append({'family': cells[0], **{h: c.strip('`') for h, c in zip(head[1:], cells[1:])}})
    return table


def batch_pairings(script):
    """med-eval's own invocations in scripts/batch/evaluate_jmedbench.sh (commented ones included)."""
    text = re.sub(r'^\s*#', '', script, flags=re.M)
    runs = []
    for block in re.split(r'torchrun', text)[1:]:
        entry = {'script': re.search(r'(evaluate_\w+\.py)', block).group(1)}
        for opt in ('task', 'template_name', 'translation', 'nli_labels', 'truncate', 'max_new_tokens', 'model_max_length'):
            m = re.search(rf'--{opt}\s+("([^"]*)"|(\S+))', block)
            if m:
                entry[opt] = m.group(2) if m.group(2) is not None else m.group(3)
        runs.append(entry)
    return runs


def main():
    repo, rev, out = sys.argv[1:4]
    commit = resolve_commit(repo, rev)
    scripts = {}
    for name, info in SCRIPTS.items():
        text = git_show(repo, commit, name)
        checks = {'result_csv_parent': find_raise_or_assert(text, None, 'does not exists. Cannot write output.')}
        if name == 'evaluate_mt.py':
            checks['tasks_vs_translations'] = next(
                {'kind': 'assert', 'line': n.lineno, 'test': ast.get_source_segment(text, n.test)}
                for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Assert) and 'translations' in ast.get_source_segment(text, n.test))
            checks['unknown_task'] = find_raise_or_assert(text, 'load_downstream_task', 'Unknown task')
            assert 'if task_name == "ejmmt":' in text
            assert 'full_task_name = task + "-" + translation_short' in text and 'source_lang[:2] + "2" + target_lang[:2]' in text
        if name == 'evaluate_sts.py':
            checks['label_count'] = find_raise_or_assert(text, None, 'Number of labels in the task')
        if name == 'evaluate_mcqa.py':
            checks['tasks_vs_templates'] = find_raise_or_assert(text, None, 'Number of tasks and templates should be the same')
        scripts[name] = {
            'source': source(repo, commit, name),
            'options': argparse_calls(text),
            'metrics': metric_keys(text),
            'templates': template_names(git_show(repo, commit, info['templates'])),
            'templates_source': info['templates'],
            'checks': checks,
        }
    pipeline = git_show(repo, commit, 'pipeline.py')
    for needle in ('AutoTokenizer.from_pretrained(', 'AutoConfig.from_pretrained(model_name_or_path)', 'AutoModelForCausalLM.from_pretrained(',
                   'raise ValueError(f"Unknown task: {dataset_name}")'):
        assert needle in pipeline, needle
    assert 'GenerationConfig.from_pretrained(model_name_or_path)' in git_show(repo, commit, 'evaluate_ner.py')
    tool = git_show(repo, commit, 'tool_utils.py')
    for needle in ('default_fileds = ["Task", "Template"]', 'metrics_title = [m.capitalize() for m in metrics]',
                   'write_buffer.append(",".join(default_fileds + metrics_title))', '[str(result[m]) for m in metrics]',
                   'write_buffer.append("")', 'f.write("\\n".join(write_buffer))'):
        assert needle in tool, needle
    readme = git_show(repo, commit, 'README.md')
    contract = {
        'source': source(repo, commit, 'README.md'),
        'scripts': scripts,
        'tasks': readme_tasks(readme),
        'template_table': template_table(readme),
        'pairing_source': source(repo, commit, 'scripts/batch/evaluate_jmedbench.sh'),
        'pairing': batch_pairings(git_show(repo, commit, 'scripts/batch/evaluate_jmedbench.sh')),
        'model_loading': {
            'source': source(repo, commit, 'pipeline.py'),
            'calls': ['AutoTokenizer.from_pretrained(path, padding_side="left", trust_remote_code=True)',
                      'AutoConfig.from_pretrained(path)', 'AutoModelForCausalLM.from_pretrained(path, …)',
                      'evaluate_ner.py: GenerationConfig.from_pretrained(path)'],
        },
        'csv': {
            'source': source(repo, commit, 'tool_utils.py'),
            'header': 'Task,Template,<metric key>.capitalize() for each metric',
            'row': 'task,template,str(value) for each metric; fields joined by "," without quoting',
            'lines': 'joined by "\\n", with a final empty line (the file ends with "\\n")',
            'path': 'exactly --result_csv; nothing is written without it',
        },
    }
    with open(os.path.join(out, 'med-eval.json'), 'w') as f:
        json.dump(contract, f, indent=1, ensure_ascii=False)
        f.write('\n')


if __name__ == '__main__':
    main()
