"""Every host's glue, side by side, and what they share: "where is a host's glue, where is a run read".

* ``lmms_eval/``, ``lm_eval/``, ``inspect_ai/`` — one folder per host, named as runs name their host, each
  with its task folder or tasks, hooks and the reader of its outputs; ``responses_file/`` — any
  generator: a ``doc_key`` + ``response`` file in, ``vscbench export`` out;
* ``run`` — a model's run in one shape whichever host wrote it, and the checks every reader applies;
* ``readers`` — the registry that picks the reader of a path (each reader says whether it claims it);
* ``per_doc`` — scoring for hosts that judge one doc at a time and aggregate per metric;
* ``prepared`` — the checked image reads of the hosts' hooks.

No host's glue imports another's (docs/architecture.md).
"""
