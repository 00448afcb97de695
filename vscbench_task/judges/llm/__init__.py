"""The official VSCBench LLM judge (gpt-4o-mini by default), as a cached, concurrent, resumable client.

``prompt`` holds the official prompt and the two readings of a reply, ``settings`` the configuration
from the environment, ``client`` the HTTP calls and the preflight check, ``cache`` the SQLite cache and
``judge`` the ``Judge`` that judges a list of inputs (the lmms-eval hooks are in ``vscbench_task.hosts.lmms_eval``).
Guide: ``vscbench_task/guides/llm_judge.md``.
"""
