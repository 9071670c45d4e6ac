"""The four med-eval stand-ins (../med-eval/evaluate_*.py) share this: nii-nlp/med-eval's argparse
options (contracts/med-eval.json), its checks in its own order, the model directory it loads, scores
from the model's lineage (lineage.py) and the CSV exactly as tool_utils.output_as_csv writes it."""
import os
import sys
from collections import defaultdict
from pathlib import Path

from . import contract, layouts, lineage

C = contract.load('med-eval.json')


def tasks_of(script):
    t = C['tasks']
    return {
        'evaluate_mcqa.py': t['MCQA tasks'] + t['Document Classification'],
        'evaluate_ner.py': t['NER tasks'],
        'evaluate_sts.py': t['Semantic Text Similarity'],
        'evaluate_mt.py': t['MT tasks'],
    }[script]


def crash(exc, message):
    sys.stdout.flush()
    print('Traceback (most recent call last):', file=sys.stderr)
    print(f'{exc}: {message}' if message else exc, file=sys.stderr)
    sys.exit(1)


def label_counts():
    """Labels per STS task, from med-eval's own --nli_labels in scripts/batch/evaluate_jmedbench.sh."""
    out = {}
    for run in C['pairing']:
        if run['script'] == 'evaluate_sts.py' and 'nli_labels' in run:
            for task, labels in zip(run['task'].split(','), run['nli_labels'].split('|') * len(run['task'].split(','))):
                out[task] = len(labels.split(','))
    return out


def family(script, task, translation=None):
    """The row of med-eval's README template table a task belongs to."""
    if script == 'evaluate_mcqa.py':
        if task in C['tasks']['Document Classification']:
            return 'DC'
        return 'MCQA (`pubmedqa*`)' if task.startswith('pubmedqa') else 'MCQA (except `pubmedqa*`)'
    if script == 'evaluate_mt.py':
        return 'MT (en-ja)' if translation == 'english=>japanese' else 'MT (ja-en)'
    return {'evaluate_ner.py': 'NER', 'evaluate_sts.py': 'STS'}[script]


def note_pairing(script, task, template, translation=None):
    """A notice (not an error: med-eval runs any registered template) when a template is not one the
    README pairs with the task's family, e.g. mcqa_with_options for PubMedQA leaves the context out."""
    fam = family(script, task, translation)
    row = next((r for r in C['template_table'] if r['family'] == fam), None)
    if row is None:
        return
    allowed = [v for k, v in row.items() if k != 'family']
    if template not in allowed:
        print(f"[stand-in] med-eval's README pairs {fam} with {', '.join(allowed)}; {task} runs with {template}", flush=True)


def load_model(path, ner=False):
    """EvaluationPipeline.__prepare_tokenizer_and_model__: AutoTokenizer, AutoConfig, AutoModelForCausalLM."""
    if contract.check_only():
        return ['check-only']
    try:
        layouts.check_hf(path, tokenizer=True, generation_config=ner)
        return lineage.read(path)
    except OSError as e:
        crash('OSError', str(e))
    except ValueError as e:
        crash('ValueError', f'[stand-in] {e}')


def pretty_table(results):
    metrics = list(next(iter(next(iter(results.values())).values())).keys())
    rows = [['Task', 'Template'] + [m.capitalize() for m in metrics]]
    for task, per in results.items():
        for tpl, res in per.items():
            rows.append([task, tpl] + [str(res[m]) for m in metrics])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    line = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'
    print(line)
    for n, r in enumerate(rows):
        print('| ' + ' | '.join(c.center(w) for c, w in zip(r, widths)) + ' |')
        if n == 0:
            print(line)
    print(line, flush=True)


def output_as_csv(results, output_file):
    metrics = list(next(iter(next(iter(results.values())).values())).keys())
    buf = [','.join(['Task', 'Template'] + [m.capitalize() for m in metrics])]
    for task, per in results.items():
        for tpl, res in per.items():
            buf.append(','.join([task, tpl] + [str(res[m]) for m in metrics]))
    buf.append('')
    with open(output_file, 'w') as f:
        f.write('\n'.join(buf))


def finish(results, args):
    if not results:
        crash('StopIteration', '')
    if contract.check_only():
        contract.checked()
    pretty_table(results)
    if args.result_csv:
        output_as_csv(results, args.result_csv)


def check_result_csv(args):
    if args.result_csv is not None and not contract.check_only():
        parent = Path(args.result_csv).parent.exists()
        if not parent:
            crash('AssertionError', f'{parent} does not exists. Cannot write output.')


def check_template(script, name):
    if name not in C['scripts'][script]['templates']:
        crash('KeyError', repr(name))


def unknown_dataset(task, script):
    # load_dataset("Coldog2333/JMedBench", task) fails, then the local file is missing: no samples.
    print(f"BuilderConfig '{task}' not found. Available: {tasks_of(script)}")
    print(f'Loading {task} dataset from local file...')
    print(f'File external_datasets/{task}/test.jsonl does not exist.', flush=True)


def parse(script):
    return contract.parser_for(C['scripts'][script]['options'], prog=script).parse_args()


def metric_values(script, lin, task, shots):
    keys = C['scripts'][script]['metrics']
    if script == 'evaluate_mcqa.py':
        return {keys[0]: lineage.score(lin, task, shots), keys[1]: lineage.norm_score(lin, task, shots)}
    if script == 'evaluate_mt.py':
        return {keys[0]: lineage.bleu(lin, task, shots)}
    return {keys[0]: lineage.score(lin, task, shots)}


def run_mcqa():
    s = 'evaluate_mcqa.py'
    args = parse(s)
    if args.model_max_length == -1:
        args.model_max_length = None
    check_result_csv(args)
    lin = load_model(args.model_name_or_path)
    tasks = args.task.split(',')
    if args.template_name is None:
        crash('AttributeError', "'NoneType' object has no attribute 'split'")
    templates = args.template_name.split(',')
    if len(templates) == 1:
        templates = templates * len(tasks)
    if len(tasks) != len(templates):
        crash('AssertionError', f'Number of tasks and templates should be the same, but got {len(tasks)} != {len(templates)}')
    results = defaultdict(dict)
    for task, tpl in zip(tasks, templates):
        if task not in tasks_of(s):
            unknown_dataset(task, s)
            print(f'Skipping task {task} due to empty test set.')
            continue
        check_template(s, tpl)
        note_pairing(s, task, tpl)
        res = metric_values(s, lin, task, args.num_fewshot)
        print(f"Accuracy: {res['accuracy']:.4f}\nNorm Accuracy: {res['norm_accuracy']:.4f}", flush=True)
        results[task][tpl] = res
    finish(results, args)


def run_mt():
    s = 'evaluate_mt.py'
    args = parse(s)
    tasks = args.task.split(',')
    translations = args.translation.split(',')
    templates = args.template_name.split(',')
    check_result_csv(args)
    if not ((len(tasks) == len(translations)) or (len(tasks) == 1 and len(translations) > 1)):
        crash('AssertionError', '')
    if len(tasks) == 1:
        tasks = [tasks[0] for _ in range(len(translations))]
    lin = load_model(args.model_name_or_path)
    results = defaultdict(dict)
    for task, translation in zip(tasks, translations):
        parts = translation.split('=>')
        if len(parts) != 2:
            crash('ValueError', f'not enough values to unpack (expected 2, got {len(parts)})' if len(parts) < 2
                  else f'too many values to unpack (expected 2)')
        source_lang, target_lang = parts
        # load_downstream_task(args.task, …): the whole --task value must be "ejmmt".
        if args.task not in tasks_of(s):
            crash('ValueError', f'Unknown task: {args.task}')
        for lang in (source_lang, target_lang):
            if lang not in ('english', 'japanese'):
                crash('KeyError', f"{lang!r} ([stand-in] ejmmt's columns are 'english' and 'japanese')")
        for tpl in templates:
            check_template(s, tpl)
            note_pairing(s, task, tpl, translation)
            full = task + '-' + source_lang[:2] + '2' + target_lang[:2]
            res = metric_values(s, lin, full, args.num_fewshot)
            print(f"BLEU: {res['bleu']}", flush=True)
            results[full][tpl] = res
    finish(results, args)


def run_ner():
    s = 'evaluate_ner.py'
    args = parse(s)
    check_result_csv(args)
    lin = load_model(args.model_name_or_path, ner=True)
    results = defaultdict(dict)
    for task in args.task.split(','):
        if task not in tasks_of(s):
            unknown_dataset(task, s)
            crash('ZeroDivisionError', 'division by zero')
        # the whole --template_name names one template here (not split on ",").
        check_template(s, args.template_name)
        note_pairing(s, task, args.template_name)
        res = metric_values(s, lin, task, args.num_fewshot)
        print(f"Entity F1 score: {res['F1 Entity-level']:.4f}", flush=True)
        results[task][args.template_name] = res
    finish(results, args)


def run_sts():
    s = 'evaluate_sts.py'
    args = parse(s)
    if args.model_max_length == -1:
        args.model_max_length = None
    check_result_csv(args)
    lin = load_model(args.model_name_or_path)
    tasks = args.task.split(',')
    if args.template_name is None:
        crash('AttributeError', "'NoneType' object has no attribute 'split'")
    templates = args.template_name.split(',')
    if len(templates) == 1:
        templates = templates * len(tasks)
    label_sets = args.nli_labels.split('|')
    if len(label_sets) == 1:
        label_sets = label_sets * len(tasks)
    counts = label_counts()
    results = defaultdict(dict)
    for task, labels in zip(tasks, label_sets):
        for tpl in templates:
            if task not in tasks_of(s):
                unknown_dataset(task, s)
                crash('IndexError', 'list index out of range')
            n = counts[task]
            if n != len(labels.split(',')):
                crash('AssertionError', f'Number of labels in the task ({n}) is not equal to the number of labels in the arguments ({len(labels.split(","))})')
            check_template(s, tpl)
            note_pairing(s, task, tpl)
            res = metric_values(s, lin, task, args.num_fewshot)
            print(f"Pearson Correlation: {res['pearson']:.4f}", flush=True)
            results[task][tpl] = res
    finish(results, args)


def main(script):
    {'evaluate_mcqa.py': run_mcqa, 'evaluate_mt.py': run_mt, 'evaluate_ner.py': run_ner, 'evaluate_sts.py': run_sts}[script]()
