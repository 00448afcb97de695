"""Deprecated aliases of ``vscbench_task.hosts.lm_eval`` modules (moved in 0.2.0, removed in 0.3.0): ``deprecated``."""
