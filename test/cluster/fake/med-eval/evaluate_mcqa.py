#!/usr/bin/env python3
"""Stand-in for nii-nlp/med-eval's evaluate_mcqa.py (see ../contracts/README.md §7 and
../corpus_lab_fake/medeval.py)."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from corpus_lab_fake import medeval  # noqa: E402

if __name__ == '__main__':
    medeval.main('evaluate_mcqa.py')
