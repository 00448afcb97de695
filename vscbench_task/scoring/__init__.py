"""Turning model responses into VSCBench's figures, whatever produced them.

``records`` (host-neutral responses: ``doc_key`` + ``response``), ``judgements`` (what a judge says
about a response), ``keyword_judge`` (the official keyword judge), ``metric_specs`` (every metric,
described once, as data), ``score`` (the single entry point: responses + a judge -> every metric),
``bootstrap`` (intervals), ``paired`` (within-prompt metrics) and ``agreement`` (judge vs judge).

Host-neutral: nothing here imports lmms-eval, ``datasets``, torch, httpx or matplotlib.
"""
