"""Steering directions: the fitting math and the file that carries them from ``steer fit`` to a run.

*The math.* For each decoder layer, the mean activation of the unsafe calibration inputs minus the mean
activation of the safe ones, at the last prompt token (``mean_difference``); the same per attention head,
on the head's slice of the attention output projection's input. How well a direction tells the two
classes apart (``separation``): the difference of the two classes' mean projections on it over their
pooled standard deviation (a Fisher-style ratio; higher separates better). The defaults a run uses
unless told otherwise: the middle decoder layer (``num_layers // 2``) and the ``DEFAULT_HEADS`` heads
with the highest separation.

*The file* (safetensors): one float32 vector per layer (``layer.<L>``, hidden size) and per head
(``head.<L>.<h>``, head size), and as metadata the format, the model it was fitted on (its id and
``ModelShape``), the defaults, the separations, and what it was fitted from (split and its version, parts,
counts of unsafe and safe inputs, the backend). ``load`` refuses a file that is not one; ``check_model``
refuses a file fitted on another model or architecture, naming both; ``select`` refuses layers and heads
the model does not have, by name.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from vscbench_task.calibration.steering.hooks import ModelShape
from vscbench_task.errors import VSCBenchError
from vscbench_task.output_files import write_bytes

FORMAT = "vscbench-steering-directions/1"
DEFAULT_HEADS = 8


class DirectionsError(VSCBenchError):
    """A direction file that cannot be used: not one, another model's, or without the layers or heads asked."""


def mean_difference(unsafe: torch.Tensor, safe: torch.Tensor) -> torch.Tensor:
    """Mean of ``unsafe`` minus mean of ``safe`` (each ``[inputs, dims]``), in float64 then float32."""
    if not len(unsafe) or not len(safe):
        raise DirectionsError(f"a direction needs unsafe and safe inputs, got {len(unsafe)} and {len(safe)}")
    return (unsafe.double().mean(0) - safe.double().mean(0)).float()


def separation(unsafe: torch.Tensor, safe: torch.Tensor, direction: torch.Tensor) -> float:
    """How far apart the classes' mean projections on ``direction`` are, in pooled standard deviations."""
    unit = direction.double() / max(float(direction.double().norm()), 1e-30)
    a, b = unsafe.double() @ unit, safe.double() @ unit
    spread = math.sqrt(
        (float(a.var(unbiased=False)) * len(a) + float(b.var(unbiased=False)) * len(b)) / (len(a) + len(b))
    )
    gap = float(a.mean() - b.mean())
    return gap / spread if spread > 0 else (math.inf if gap > 0 else 0.0)


@dataclass
class Directions:
    """A fitted direction per layer and per head, what they were fitted on, and the defaults."""

    model: str
    shape: ModelShape
    layers: dict[int, torch.Tensor]
    heads: dict[tuple[int, int], torch.Tensor]
    default_layers: tuple[int, ...]
    default_heads: tuple[tuple[int, int], ...]
    info: dict[str, Any] = field(default_factory=dict)  # split, parts, counts, separations, backend

    def describe(self) -> str:
        return f"{self.model} ({self.shape.describe()})"


def fit(
    model: str,
    shape: ModelShape,
    residual: torch.Tensor,
    heads: torch.Tensor,
    unsafe: torch.Tensor,
    info: dict[str, Any],
) -> Directions:
    """Directions from the captured activations: ``residual`` ``[inputs, layers, hidden]``, ``heads``
    ``[inputs, layers, heads x head_dim]``, ``unsafe`` a boolean per input."""
    unsafe = unsafe.bool()
    layer_vectors, layer_scores = {}, {}
    for layer in range(shape.num_layers):
        u, s = residual[unsafe, layer], residual[~unsafe, layer]
        layer_vectors[layer] = mean_difference(u, s)
        layer_scores[layer] = separation(u, s, layer_vectors[layer])
    head_vectors, head_scores = {}, {}
    for layer in range(shape.num_layers):
        for head in range(shape.num_heads):
            cols = slice(head * shape.head_dim, (head + 1) * shape.head_dim)
            u, s = heads[unsafe, layer, cols], heads[~unsafe, layer, cols]
            head_vectors[(layer, head)] = mean_difference(u, s)
            head_scores[(layer, head)] = separation(u, s, head_vectors[(layer, head)])
    best = sorted(head_scores, key=lambda key: (-head_scores[key], key))[:DEFAULT_HEADS]
    info = info | {
        "inputs": {"unsafe": int(unsafe.sum()), "safe": int((~unsafe).sum())},
        "layer_separation": {str(k): round(v, 6) for k, v in layer_scores.items()},
        "head_separation": {f"{k[0]}:{k[1]}": round(v, 6) for k, v in head_scores.items()},
    }
    return Directions(model, shape, layer_vectors, head_vectors, (shape.num_layers // 2,), tuple(sorted(best)), info)


def save(directions: Directions, path: Path) -> None:
    """Write ``directions`` to ``path`` (safetensors, metadata as described in the module), whole or not at all."""
    from safetensors.torch import save as serialise

    tensors = {f"layer.{k}": v.contiguous() for k, v in directions.layers.items()}
    tensors |= {f"head.{k[0]}.{k[1]}": v.contiguous() for k, v in directions.heads.items()}
    metadata = {
        "format": FORMAT,
        "model": directions.model,
        "shape": json.dumps(vars(directions.shape)),
        "default_layers": json.dumps(list(directions.default_layers)),
        "default_heads": json.dumps([f"{a}:{b}" for a, b in directions.default_heads]),
        "info": json.dumps(directions.info, sort_keys=True),
    }
    write_bytes(path, serialise(tensors, metadata=metadata))


def load(path: Path) -> Directions:
    """The directions in ``path``; ``DirectionsError`` saying why when it is not a direction file."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118 (not a dict)
    except (OSError, SafetensorError) as err:
        raise DirectionsError(f"{path}: not a readable direction file ({err})") from None
    if metadata.get("format") != FORMAT:
        raise DirectionsError(f"{path}: not a direction file written by `vscbench steer fit` (format {FORMAT})")
    try:
        shape = ModelShape(**json.loads(metadata["shape"]))
        layers = {int(k.split(".")[1]): v for k, v in tensors.items() if k.startswith("layer.")}
        heads = {_pair(k.removeprefix("head."), "."): v for k, v in tensors.items() if k.startswith("head.")}
        default_heads = tuple(_pair(h, ":") for h in json.loads(metadata["default_heads"]))
        default_layers = tuple(int(x) for x in json.loads(metadata["default_layers"]))
        directions = Directions(
            metadata["model"], shape, layers, heads, default_layers, default_heads, json.loads(metadata["info"])
        )
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise DirectionsError(f"{path}: a damaged direction file ({type(err).__name__}: {err})") from None
    expected = {f"layer.{i}" for i in range(shape.num_layers)}
    expected |= {f"head.{i}.{h}" for i in range(shape.num_layers) for h in range(shape.num_heads)}
    sizes = {f"layer.{i}": shape.hidden_size for i in range(shape.num_layers)}
    if set(tensors) != expected or any(v.shape != (sizes.get(k, shape.head_dim),) for k, v in tensors.items()):
        raise DirectionsError(f"{path}: a damaged direction file (its vectors do not match {shape.describe()})")
    return directions


def _pair(text: str, separator: str) -> tuple[int, int]:
    layer, head = text.split(separator)
    return int(layer), int(head)


def same_model(a: str, b: str) -> bool:
    """Whether two model ids name the same model: equal, or the same existing folder."""
    if a == b:
        return True
    return Path(a).exists() and Path(b).exists() and Path(a).resolve() == Path(b).resolve()


def check_model(directions: Directions, path: Path, model: str, shape: ModelShape) -> None:
    """Refuse ``directions`` (read from ``path``) unless they were fitted on ``model`` with ``shape``."""
    if not same_model(directions.model, model) or directions.shape != shape:
        raise DirectionsError(
            f"{path} was fitted on {directions.describe()}, but this run loads {model} ({shape.describe()}): "
            f"fit directions for this model with `vscbench steer fit --model ... --model_args pretrained={model}`"
        )


def select(
    directions: Directions,
    path: Path,
    level: str,
    layers: tuple[int, ...] | None,
    heads: tuple[tuple[int, int], ...] | None,
) -> tuple[dict[int, torch.Tensor], dict[tuple[int, int], torch.Tensor]]:
    """The layer vectors (level ``layer``) or head vectors (level ``head``) to add: those asked for, else the
    file's defaults; a layer or head the model does not have is refused by name."""
    shape = directions.shape
    if level == "layer":
        chosen = directions.default_layers if layers is None else layers
        unknown = [layer for layer in chosen if layer not in directions.layers]
        if unknown:
            raise DirectionsError(
                f"layer {unknown[0]} does not exist: {directions.describe()} has layers 0 to {shape.num_layers - 1} "
                f"({path})"
            )
        return {layer: directions.layers[layer] for layer in chosen}, {}
    picked = directions.default_heads if heads is None else heads
    missing = [h for h in picked if h not in directions.heads]
    if missing:
        layer, head = missing[0]
        raise DirectionsError(
            f"head {layer}:{head} does not exist: {directions.describe()} has layers 0 to {shape.num_layers - 1}, "
            f"heads 0 to {shape.num_heads - 1} in each ({path})"
        )
    return {}, {head: directions.heads[head] for head in picked}
