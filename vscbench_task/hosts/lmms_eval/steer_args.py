"""The ``vscbench_steer`` model plugin's settings: parsed and checked the same way when the plugin starts
and when a run that used it is read back (so a report says exactly how the run was steered).

``--model vscbench_steer --model_args base=BACKEND,directions=FILE[,alpha=A][,level=layer|head]
[,layers=L1;L2][,heads=L:h;L:h],<the base backend's own arguments>``:

* ``base``: the lmms-eval backend whose Hugging Face model is steered (``qwen2_5_vl``, ``qwen2_vl``,
  ``llava_hf``); every argument the plugin does not take is passed to it unchanged;
* ``directions``: the file ``vscbench steer fit`` wrote for this model;
* ``alpha`` (default ``DEFAULT_ALPHA``): how many times the fitted direction (mean unsafe minus mean safe
  activation at the last prompt token) is added; positive pushes towards how the model represents the
  unsafe calibration inputs, negative towards the safe ones;
* ``level`` (default ``layer``): ``layer`` adds to the residual stream after each chosen decoder layer;
  ``head`` adds to each chosen attention head's slice of the input of its layer's output projection;
* ``layers`` / ``heads``: which ones (``;``-separated, or a bracketed list); default: the file's own
  defaults, chosen when it was fitted (the calibration guide says how).

lmms-eval splits ``--model_args`` at commas (outside brackets and quotes), so lists use ``;``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vscbench_task.errors import VSCBenchError

MODEL_ID = "vscbench_steer"
LEVELS = ("layer", "head")
METHOD_OF_LEVEL = {"layer": "steer_layer", "head": "steer_head"}
DEFAULT_ALPHA = 1.0
DEFAULT_SWEEP = (0.5, 1.0, 2.0, 4.0)  # `vscbench steer fit` prints one lmms-eval command per alpha
OWN_ARGS = ("base", "directions", "alpha", "level", "layers", "heads")


class SteerSettingsError(VSCBenchError):
    """Steering settings that cannot be used (a missing or malformed argument, an unknown level)."""


@dataclass(frozen=True)
class SteerSettings:
    """The plugin's own arguments, checked. ``layers``/``heads`` ``None``: the direction file's defaults."""

    base: str
    directions: Path
    alpha: float
    level: str
    layers: tuple[int, ...] | None
    heads: tuple[tuple[int, int], ...] | None

    @property
    def method(self) -> str:
        return METHOD_OF_LEVEL[self.level]


def _items(value: object) -> list[str] | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if text.startswith("["):
        try:
            listed = json.loads(text)
        except ValueError:
            raise SteerSettingsError(f"{text!r} is not a list: write layers=12;14 or layers=[12,14]") from None
        return [str(v) for v in (listed if isinstance(listed, list) else [listed])]
    return [part.strip() for part in text.split(";") if part.strip()]


def _whole(text: str, what: str) -> int:
    if not re.fullmatch(r"\d+", text):
        raise SteerSettingsError(f"{what} {text!r} is not a layer index (a whole number from 0)")
    return int(text)


def parse_layers(value: object) -> tuple[int, ...] | None:
    """``12;14`` or ``[12,14]`` -> (12, 14); ``None``/empty -> ``None`` (the file's defaults)."""
    found = _items(value)
    return None if found is None else tuple(_whole(v, "layer") for v in found)


def parse_heads(value: object) -> tuple[tuple[int, int], ...] | None:
    """``12:3;14:0`` -> ((12, 3), (14, 0)): layer ``:`` head; ``None``/empty -> ``None``."""
    found = _items(value)
    if found is None:
        return None
    heads = []
    for entry in found:
        layer, sep, head = entry.partition(":")
        if not sep:
            raise SteerSettingsError(f"head {entry!r} is not LAYER:HEAD (e.g. heads=12:3;14:0)")
        heads.append((_whole(layer, "layer"), _whole(head, "head")))
    return tuple(heads)


def settings(
    base: object = None,
    directions: object = None,
    alpha: object = DEFAULT_ALPHA,
    level: object = "layer",
    layers: object = None,
    heads: object = None,
) -> SteerSettings:
    """The checked settings from the plugin's arguments (as lmms-eval parsed them: numbers may be numbers)."""
    if not base or not isinstance(base, str):
        raise SteerSettingsError(f"{MODEL_ID} needs base=BACKEND: the lmms-eval model to steer (e.g. base=qwen2_5_vl)")
    if base == MODEL_ID:
        raise SteerSettingsError(f"base={MODEL_ID} would steer itself: name the backend to steer (e.g. qwen2_5_vl)")
    if not directions:
        raise SteerSettingsError(f"{MODEL_ID} needs directions=FILE: what `vscbench steer fit` wrote for this model")
    try:
        strength = float(str(alpha))
    except ValueError:
        raise SteerSettingsError(f"alpha={alpha!r} is not a number") from None
    if strength != strength or strength in (float("inf"), float("-inf")):
        raise SteerSettingsError(f"alpha={alpha!r} is not a finite number")
    if level not in LEVELS:
        raise SteerSettingsError(f"level={level!r}: choose layer (residual stream) or head (attention heads)")
    return SteerSettings(base, Path(str(directions)), strength, str(level), parse_layers(layers), parse_heads(heads))


def _split_model_args(text: str) -> dict[str, str]:
    """lmms-eval's reading of ``--model_args``: pieces at commas outside brackets and quotes, each
    ``key=value`` at its first ``=``."""
    pieces, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            pieces.append(current)
            current = ""
            continue
        current += char
    pieces.append(current)
    return {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in pieces if p.strip())}


def method_record(config: object) -> dict[str, Any] | None:
    """How a run was steered, from its results file's ``config`` (``None``: not a ``vscbench_steer`` run):
    the method name, the base backend, the direction file and every steering setting. A run whose
    settings do not parse is recorded with the raw arguments and the reason."""
    if not isinstance(config, dict) or config.get("model") != MODEL_ID:
        return None
    raw = config.get("model_args")
    args = raw if isinstance(raw, dict) else _split_model_args(str(raw or ""))
    own = {k: args.get(k) for k in OWN_ARGS if args.get(k) is not None}
    try:
        checked = settings(**own)
    except SteerSettingsError as err:
        return {"name": "steer", "model_args": str(raw), "unreadable": str(err)}
    record: dict[str, Any] = {"name": checked.method, "base": checked.base, "directions": str(checked.directions)}
    record |= {"alpha": checked.alpha, "level": checked.level}
    record["layers"] = "file defaults" if checked.layers is None else list(checked.layers)
    if checked.level == "head":
        record["heads"] = "file defaults" if checked.heads is None else [f"{a}:{b}" for a, b in checked.heads]
    record["directions_sha256"] = _sha256(checked.directions)
    return record


def _sha256(path: Path) -> str:
    """The file's sha256 as found now (the plugin logs the one it loaded), or why there is none."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as err:
        return f"not readable here ({type(err).__name__})"
