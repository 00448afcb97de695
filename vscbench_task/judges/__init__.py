"""Every judge of a VSCBench response, in one place: "where is the judge" has this answer.

* ``names`` — the judges' and readings' names and the one check of a name (importable without loading
  anything, so the command line can offer them);
* ``base`` — what a judge is (the ``Judge`` protocol) and what it says (``Judgement``, ``Judged``);
* ``keyword`` — the official keyword ("string match") judge: offline, instant;
* ``llm/`` — the official LLM judge: prompt, settings, client, cache (the package's only network code);
* ``factory`` — ``make_judge(name)``: a judge by name, loading the LLM judge only when it is asked for.

The scoring core reads judgements through ``base`` only; no module here imports a host.
"""
