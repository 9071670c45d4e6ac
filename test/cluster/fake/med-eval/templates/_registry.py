"""Stand-in for med-eval's template registries (templates/<family>.py, each a TEMPLATE_SET dict keyed
by template name): the names extracted into ../../contracts/med-eval.json. Corpus Lab's Validate Study
imports these modules from the med-eval checkout, as it does on a real cluster."""
import json
import os

_CONTRACT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'contracts', 'med-eval.json')


def template_set(source):
    with open(_CONTRACT, encoding='utf-8') as f:
        scripts = json.load(f)['scripts']
    for script in scripts.values():
        if script['templates_source'] == source:
            return dict.fromkeys(script['templates'], '')
    raise ImportError(f'no template registry {source} in the contract')
