"""The inspect_ai glue: VSCBench's two parts as inspect tasks (``tasks``), their scorer and metrics
(``scorer``), and reading inspect's eval logs back (``logs``). The only part of the package that knows
inspect_ai; ``registry`` is the entry point that makes ``inspect eval vscbench_task/vscbench_image`` work."""
