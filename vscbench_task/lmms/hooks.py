"""Deprecated alias of ``vscbench_task.hosts.lmms_eval.hooks`` (see ``vscbench_task.deprecated``)."""

from vscbench_task.deprecated import moved

__getattr__ = moved(__name__, "vscbench_task.hosts.lmms_eval.hooks")
