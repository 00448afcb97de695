"""Turning model responses into VSCBench's figures, whatever produced them.

``records`` (host-neutral responses: ``doc_key`` + ``response``), ``metric_specs`` (every metric,
described once, as data), ``score`` (the single entry point: responses + a judge -> every metric),
``bootstrap`` (intervals), ``paired`` (within-prompt metrics) and ``agreement`` (judge vs judge). What a
judge says, and the judges themselves, are in ``vscbench_task.judges``.

Host-neutral: nothing here imports lmms-eval, ``datasets``, torch, httpx or matplotlib.
"""
