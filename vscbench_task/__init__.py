"""VSCBench (visual safety calibration) packaged as lmms-eval tasks.

The package is organised by job: ``metadata`` (the official sheets), ``docs`` (what the model is
asked), ``datadir``/``prepare`` (where the images live and how they get there), ``keyword_judge``
(the official string-match judge), ``records``/``metrics`` (per-doc records and SRA metrics) and
``task_yaml/`` (the lmms-eval task folder, glue only).
"""

__version__ = "0.1.0"
