"""VSCBench (visual safety calibration of vision-language models), scored by the tools people run.

One folder per concern, imports pointing down only: ``dataset/`` (the benchmark's data), ``judges/``
(every judge), ``scoring/`` (the scoring core), ``hosts/`` (each host's glue and run readers),
``validation/``, ``rescore``, ``report/``, ``demo/``, ``cli/``. The map, what each room may import, and
why: docs/architecture.md (tested by tests/unit/test_architecture.py).
"""

__version__ = "0.2.0"
