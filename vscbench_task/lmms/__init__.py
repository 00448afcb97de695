"""Deprecated aliases of ``vscbench_task.hosts.lmms_eval`` modules (moved in 0.2.0): ``deprecated``."""
