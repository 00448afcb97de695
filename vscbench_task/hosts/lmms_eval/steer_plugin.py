"""The ``lmms_eval.models`` entry point (pyproject): registers the ``vscbench_steer`` model with lmms-eval,
so ``lmms-eval --model vscbench_steer`` works without any path option.

lmms-eval imports this module whenever it starts (``import lmms_eval.models``) and only warns, dropping the
model, if that fails: so it imports nothing but lmms-eval's manifest type, and names the classes
(``steer_model``) by path, imported only when ``--model vscbench_steer`` is chosen.
"""

from __future__ import annotations

from typing import Any

MODULE = "vscbench_task.hosts.lmms_eval.steer_model"


def manifests() -> list[Any]:
    """The ``vscbench_steer`` manifest: a chat class (the default) and a simple one (``--force_simple``);
    each wraps the ``base`` backend's class of the same kind."""
    from lmms_eval.models.registry_v2 import ModelManifest

    from vscbench_task.hosts.lmms_eval.steer_args import MODEL_ID

    return [ModelManifest(MODEL_ID, simple_class_path=f"{MODULE}.SteerSimple", chat_class_path=f"{MODULE}.SteerChat")]
