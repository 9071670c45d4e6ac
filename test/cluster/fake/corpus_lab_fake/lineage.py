"""Lineage: what an artifact was made from, so a test can predict every score (a test device, not
upstream behaviour). Documented in ../contracts/README.md ("Lineage", "Scores: the one rule").

Every artifact carries corpus_lab_lineage.json, a JSON array of strings:
  make_hf_model.py <dir> <name>  → ["base:<name>"]
  any converter                  → its input's lineage, unchanged
  pretrain_gpt.py                → loaded lineage + ["cpt:<sorted data-prefix basenames joined by +>:<saved iteration>"]
                                   (["random"] as the loaded lineage when --load held no checkpoint;
                                   nothing appended when no iteration was trained)
  megatron_gpt_finetuning.py     → loaded lineage + ["sft"]
"""
import hashlib
import json
import os

FILE = 'corpus_lab_lineage.json'


def read(directory):
    path = os.path.join(directory, FILE)
    with open(path, encoding='utf-8') as f:
        value = json.load(f)
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise ValueError(f'{path}: expected a JSON array of strings')
    return value


def write(directory, lineage):
    with open(os.path.join(directory, FILE), 'w', encoding='utf-8') as f:
        json.dump(lineage, f)
        f.write('\n')


def cpt_entry(prefixes, iteration):
    return 'cpt:' + '+'.join(sorted(os.path.basename(p) for p in prefixes)) + f':{iteration}'


def _hash(lineage, task, shots, suffix=''):
    text = '/'.join(lineage) + f'|{task}|{shots}' + suffix
    return int(hashlib.sha256(text.encode('utf-8')).hexdigest()[:8], 16)


def score(lineage, task, shots):
    """Accuracy, F1 entity-level, Pearson: 0–1."""
    return (_hash(lineage, task, shots) % 1000) / 1000


def norm_score(lineage, task, shots):
    """Norm_accuracy (MCQA's second column)."""
    return (_hash(lineage, task, shots, '|norm') % 1000) / 1000


def bleu(lineage, task, shots):
    """BLEU on 0–100 as med-eval reports it: score × 100, computed without a float product."""
    return (_hash(lineage, task, shots) % 1000) / 10
