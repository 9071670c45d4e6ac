"""Stand-in for med-eval templates/mt.py: TEMPLATE_SET holds the registry's names."""
from templates._registry import template_set

TEMPLATE_SET = template_set("templates/mt.py")
