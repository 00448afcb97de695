"""The ``inspect_ai`` entry point (pyproject): importing it registers the VSCBench tasks and scorer, so
``inspect eval vscbench_task/vscbench_image`` and ``inspect score`` find them without a file path."""

from vscbench_task.hosts.inspect_ai.scorer import vscbench_metrics, vscbench_scorer
from vscbench_task.hosts.inspect_ai.tasks import vscbench_image, vscbench_text

__all__ = ["vscbench_image", "vscbench_metrics", "vscbench_scorer", "vscbench_text"]
