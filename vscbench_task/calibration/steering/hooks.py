"""Where steering acts in a Hugging Face vision-language model, and the hooks that act there.

*Where.* The text decoder's layers (``model.language_model.layers`` in transformers 5: Qwen2-VL,
Qwen2.5-VL and LLaVA-style models alike; ``decoder_layers``), and in each layer the attention's output
projection ``self_attn.o_proj``, whose input is the heads' outputs side by side (``num_heads x head_dim``
columns, head ``h`` at columns ``h*head_dim`` to ``(h+1)*head_dim``). A model without them is refused by
name (``UnsupportedModel``).

*Layer level* (``Steering``): a forward hook on each chosen decoder layer adds ``alpha x direction`` to its
output, the residual stream after the layer, at every position, in the prefill and in every decoding step.
*Head level*: one forward pre-hook on each chosen layer's ``o_proj`` adds ``alpha x direction`` to the
chosen heads' slices of its input (one full-width vector per layer, zero outside the chosen heads), so no
other head and nothing else is touched. Every hook counts its calls.

*Capture* (``LastTokenCapture``): what ``vscbench steer fit`` records: for one request at a time, each
layer's output and each ``o_proj``'s input at the last position of the first forward pass, which is the
prefill over the whole prompt, i.e. the last prompt token (the last token before generation starts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from vscbench_task.errors import VSCBenchError

LAYER_PATHS = ("model.language_model.layers",)
SUPPORTED = "Qwen2-VL, Qwen2.5-VL and LLaVA-style Hugging Face models (decoder layers at model.language_model.layers)"


class UnsupportedModel(VSCBenchError):
    """A model whose decoder layers or attention output projections are not where steering looks."""


@dataclass(frozen=True)
class ModelShape:
    """What a direction file must match: the model class and the text decoder's sizes."""

    model_class: str
    num_layers: int
    hidden_size: int
    num_heads: int
    head_dim: int

    def describe(self) -> str:
        return (
            f"{self.model_class}, {self.num_layers} layers, hidden size {self.hidden_size}, "
            f"{self.num_heads} heads x {self.head_dim}"
        )


def decoder_layers(model: torch.nn.Module) -> torch.nn.ModuleList:
    """The text decoder's layers of ``model`` (``UnsupportedModel`` naming its class if there are none)."""
    for path in LAYER_PATHS:
        found: Any = model
        for name in path.split("."):
            found = getattr(found, name, None)
        if isinstance(found, torch.nn.ModuleList) and len(found) and hasattr(found[0], "self_attn"):
            return found
    raise UnsupportedModel(f"cannot steer {type(model).__name__}: steering supports {SUPPORTED}")


def output_projection(layer: torch.nn.Module) -> torch.nn.Linear:
    """A decoder layer's attention output projection (``self_attn.o_proj``)."""
    o_proj = getattr(getattr(layer, "self_attn", None), "o_proj", None)
    if not isinstance(o_proj, torch.nn.Linear):
        raise UnsupportedModel(
            f"cannot steer a {type(layer).__name__}: no attention output projection (self_attn.o_proj)"
        )
    return o_proj


def model_shape(model: torch.nn.Module) -> ModelShape:
    """The text decoder's sizes, checked against the output projections they imply."""
    layers = decoder_layers(model)
    config: Any = getattr(model, "config").get_text_config()  # noqa: B009 (typed Any: transformers' config)
    heads = int(config.num_attention_heads)
    head_dim = int(getattr(config, "head_dim", None) or config.hidden_size // heads)
    o_proj = output_projection(layers[0])
    if o_proj.in_features != heads * head_dim:
        raise UnsupportedModel(
            f"cannot steer {type(model).__name__} at head level: its attention output projection does not take "
            f"{heads} heads x {head_dim} (steering supports {SUPPORTED})"
        )
    return ModelShape(type(model).__name__, len(layers), int(config.hidden_size), heads, head_dim)


def _output_tensor(output: Any) -> torch.Tensor:
    return output[0] if isinstance(output, tuple) else output


class Steering:
    """Hooks adding ``alpha x direction`` at layer level (``layer_vectors``: layer -> hidden-size vector)
    and head level (``head_vectors``: (layer, head) -> head-size vector) of ``model``; ``calls`` counts
    each hook's calls by name (``layer.<L>``, ``heads.<L>``)."""

    def __init__(
        self,
        model: torch.nn.Module,
        alpha: float,
        layer_vectors: Mapping[int, torch.Tensor],
        head_vectors: Mapping[tuple[int, int], torch.Tensor],
    ) -> None:
        self.model, self.alpha = model, alpha
        self.layer_vectors, self.head_vectors = dict(layer_vectors), dict(head_vectors)
        self.calls: dict[str, int] = {}
        self._handles: list[Any] = []

    def install(self) -> Steering:
        layers, shape = decoder_layers(self.model), model_shape(self.model)
        for layer, vector in sorted(self.layer_vectors.items()):
            weight = output_projection(layers[layer]).weight
            delta = (self.alpha * vector.float()).to(weight.device, weight.dtype)
            self._add(layers[layer].register_forward_hook(self._layer_hook(f"layer.{layer}", delta)), f"layer.{layer}")
        per_layer: dict[int, torch.Tensor] = {}
        for (layer, head), vector in sorted(self.head_vectors.items()):
            full = per_layer.setdefault(layer, torch.zeros(shape.num_heads * shape.head_dim))
            full[head * shape.head_dim : (head + 1) * shape.head_dim] = self.alpha * vector.float()
        for layer, full in sorted(per_layer.items()):
            o_proj = output_projection(layers[layer])
            delta = full.to(o_proj.weight.device, o_proj.weight.dtype)
            self._add(o_proj.register_forward_pre_hook(self._head_hook(f"heads.{layer}", delta)), f"heads.{layer}")
        return self

    def _add(self, handle: Any, name: str) -> None:
        self._handles.append(handle)
        self.calls[name] = 0

    def _layer_hook(self, name: str, delta: torch.Tensor) -> Any:
        def hook(module: torch.nn.Module, args: Any, output: Any) -> Any:
            self.calls[name] += 1
            steered = _output_tensor(output) + delta
            return (steered, *output[1:]) if isinstance(output, tuple) else steered

        return hook

    def _head_hook(self, name: str, delta: torch.Tensor) -> Any:
        def hook(module: torch.nn.Module, args: Any) -> Any:
            self.calls[name] += 1
            return (args[0] + delta, *args[1:])

        return hook

    @property
    def hooks(self) -> int:
        """How many hooks are installed."""
        return len(self._handles)

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


class LastTokenCapture:
    """Records, per request, every decoder layer's output and every ``o_proj``'s input at the last position
    of the first forward pass (the prefill: the last prompt token). Use as a context manager around the
    requests, one at a time; ``take()`` returns ``(layers [num_layers, hidden], heads [num_layers, heads x
    head_dim])`` in float32 and resets, refusing a request that ran no forward pass or a batch of several."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.layers = decoder_layers(model)
        self._residual: dict[int, torch.Tensor] = {}
        self._heads: dict[int, torch.Tensor] = {}
        self._handles: list[Any] = []

    def __enter__(self) -> LastTokenCapture:
        for index, layer in enumerate(self.layers):
            self._handles.append(layer.register_forward_hook(self._keep(self._residual, index, output=True)))
            self._handles.append(output_projection(layer).register_forward_pre_hook(self._keep(self._heads, index)))
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    @staticmethod
    def _keep(store: dict[int, torch.Tensor], index: int, *, output: bool = False) -> Any:
        def hook(module: torch.nn.Module, args: Any, result: Any = None) -> None:
            if index in store:  # a decoding step after the prefill: not the last prompt token
                return
            tensor = _output_tensor(result) if output else args[0]
            if tensor.shape[0] != 1:
                raise VSCBenchError(f"steer fit builds one request at a time, but a forward pass got {tensor.shape[0]}")
            store[index] = tensor[0, -1].detach().float().cpu()

        return hook  # a forward hook gets (module, args, output), a pre-hook (module, args)

    def take(self) -> tuple[torch.Tensor, torch.Tensor]:
        count = len(self.layers)
        if len(self._residual) != count or len(self._heads) != count:
            raise VSCBenchError("the backend ran no forward pass through every decoder layer for a request")
        found = (
            torch.stack([self._residual[i] for i in range(count)]),
            torch.stack([self._heads[i] for i in range(count)]),
        )
        self._residual.clear()  # in place: the hooks hold these dicts
        self._heads.clear()
        return found
