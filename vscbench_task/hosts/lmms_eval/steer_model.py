"""The ``vscbench_steer`` lmms-eval model: any supported backend, with activation steering added.

``--model vscbench_steer --model_args base=qwen2_5_vl,pretrained=...,directions=FILE,alpha=1`` (settings:
``steer_args``). The registered classes are factories: constructing one resolves ``base`` through lmms-eval's
own registry (its chat class, or its simple class under ``--force_simple``; a backend with no chat class
runs as simple, as it would alone), builds a subclass of it with ``SteerMixin`` at run time, constructs that
with every argument the plugin does not take (so the backend loads its model and processor exactly as it
does alone), installs the hooks (``calibration.steering.hooks``) on the backend's Hugging Face model and
returns it. lmms-eval then reads ``is_simple`` from that object, so the tasks see the base backend's class.

What can be checked before the model loads is: the settings, the direction file (that it is one, and has
the layers or heads asked for). Once the model is loaded: that the file was fitted on this model and
architecture. Each refusal leaves as ``SystemExit`` with the reason (lmms-eval would report an ordinary
exception and still exit 0). After each batch of generation the hooks' call counts are logged.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from lmms_eval.api.model import lmms

from vscbench_task.calibration.steering.directions import DirectionsError, check_model, load, select
from vscbench_task.calibration.steering.hooks import Steering, UnsupportedModel, model_shape
from vscbench_task.errors import VSCBenchError
from vscbench_task.hosts.lmms_eval import steer_args

log = logging.getLogger(__name__)


class SteerMixin:
    """Added before the base backend's class: keeps the steering hooks and reports their calls."""

    steering: Steering

    def generate_until(self, requests: list) -> list[str]:
        out = super().generate_until(requests)  # type: ignore[misc]
        calls = ", ".join(f"{name} x{count}" for name, count in self.steering.calls.items())
        log.warning(f"{steer_args.MODEL_ID}: {self.steering.hooks} hooks, alpha={self.steering.alpha}; calls: {calls}")
        return out


def _steered(cls: type[_SteerFactory], base_kwargs: dict[str, Any], options: dict[str, Any]) -> Any:
    from lmms_eval.models import get_model

    settings = steer_args.settings(**options)
    directions = load(settings.directions)
    layer_vectors, head_vectors = select(
        directions, settings.directions, settings.level, settings.layers, settings.heads
    )
    base_class = get_model(settings.base, force_simple=cls.is_simple)
    steered_class = type(f"Steered{base_class.__name__}", (SteerMixin, base_class), {"__module__": __name__})
    backend = steered_class(**base_kwargs)
    model = backend.model
    check_model(directions, settings.directions, str(base_kwargs.get("pretrained", "")), model_shape(model))
    backend.steering = Steering(model, settings.alpha, layer_vectors, head_vectors).install()
    digest = hashlib.sha256(settings.directions.read_bytes()).hexdigest()
    chosen = sorted(layer_vectors) if settings.level == "layer" else [f"{a}:{b}" for a, b in sorted(head_vectors)]
    log.warning(
        f"{steer_args.MODEL_ID}: steering {base_class.__module__}.{base_class.__name__} ({directions.describe()}) at "
        f"{settings.level} level, {chosen}, alpha={settings.alpha}, {backend.steering.hooks} hooks; directions "
        f"{settings.directions} (sha256 {digest}, fitted on {directions.info.get('split')} split)"
    )
    return backend


class _SteerFactory(lmms):
    """Never an instance itself: ``__new__`` returns the steered base backend (see the module)."""

    is_simple = True

    def __new__(cls, **kwargs: Any) -> Any:
        options = {key: kwargs.pop(key) for key in steer_args.OWN_ARGS if key in kwargs}
        try:
            return _steered(cls, kwargs, options)
        except (VSCBenchError, UnsupportedModel, DirectionsError) as err:
            raise SystemExit(f"vscbench: {steer_args.MODEL_ID}: {err}") from None

    # lmms is abstract; these are never called (``__new__`` returns another class's object).
    def loglikelihood(self, requests: list) -> list:
        raise NotImplementedError

    def generate_until(self, requests: list) -> list:
        raise NotImplementedError

    def generate_until_multi_round(self, requests: list) -> list:
        raise NotImplementedError


class SteerChat(_SteerFactory):
    is_simple = False


class SteerSimple(_SteerFactory):
    is_simple = True
