"""``vscbench steer fit``: steering directions for a model, from the calibration split, with every input
built exactly as the lmms-eval backend builds it.

The backend itself builds them: it is loaded through lmms-eval's registry with the user's ``--model_args``,
the calibration task of each part (``vscbench_<part>_calibration``, the baseline's prompts) is loaded
through lmms-eval's task manager for the backend's class (chat or simple), its requests are built by
lmms-eval (``build_all_requests``), and each request goes through the backend's own ``generate_until``
with one new token: its chat template, generation prompt, image processing and vision tower all run as in
an evaluation. ``LastTokenCapture`` records, during that call's one forward pass (the prefill), every
decoder layer's output and every attention output projection's input at the last prompt token. Requests
go one at a time (the backends reorder batches). The directions are then the unsafe-minus-safe mean
differences (``calibration.steering.directions.fit``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from vscbench_task.calibration.split import CALIBRATION, SPLIT_VERSION
from vscbench_task.calibration.steering.directions import Directions, fit
from vscbench_task.calibration.steering.hooks import LastTokenCapture, model_shape
from vscbench_task.errors import VSCBenchError
from vscbench_task.hosts.lmms_eval import TASKS_DIR
from vscbench_task.hosts.lmms_eval.steer_args import MODEL_ID
from vscbench_task.hosts.lmms_eval.task_table import task_items
from vscbench_task.hosts.prepared import require_prepared_or_exit
from vscbench_task.hosts.task_names import calibration_task

NO_TEXT_ONLY = {"llava_hf": "lmms-eval 0.7.3's llava_hf cannot answer text-only requests (the txt variant)"}


class FitError(VSCBenchError):
    """Directions that cannot be fitted with the given backend and settings."""


def _backend(base: str, model_args: str, force_simple: bool) -> Any:
    from lmms_eval.models import get_model

    if base == MODEL_ID:
        raise FitError(f"fit directions on the base backend (e.g. --model qwen2_5_vl), not on {MODEL_ID}")
    try:
        backend_class = get_model(base, force_simple=force_simple)
    except ValueError:
        raise FitError(f"--model {base!r} is not an lmms-eval model (e.g. qwen2_5_vl, qwen2_vl, llava_hf)") from None
    try:
        return backend_class.create_from_arg_string(
            model_args, {"batch_size": 1, "max_batch_size": None, "device": None}
        )
    except (OSError, ValueError, TypeError) as err:  # a wrong path or argument, as the backend reports it
        raise FitError(
            f"--model {base} could not load with --model_args {model_args} ({type(err).__name__}: {err})"
        ) from None


def _requests(backend: Any, part: str, limit: int | None) -> tuple[str, list[Any]]:
    """The calibration task's requests as lmms-eval builds them for ``backend``, asking for one new token."""
    from lmms_eval.tasks import TaskManager, get_task_dict

    name = calibration_task(part)
    manager = TaskManager("WARNING", include_path=str(TASKS_DIR))
    task = get_task_dict([name], manager, task_type="simple" if backend.is_simple else "chat")[name]
    task.set_config(key="generation_kwargs", value={"max_new_tokens": 1}, update=True)
    task.set_config(key="num_fewshot", value=0)
    backend.task_dict[name] = task.dataset
    task.build_all_requests(limit=limit, rank=0, world_size=1)
    return name, [instance for instance in task.instances if instance.request_type == "generate_until"]


def fit_directions(
    base: str, model_args: str, *, parts: Sequence[str] = ("image", "text"), limit: int | None = None,
    force_simple: bool = False,
) -> Directions:  # fmt: skip
    """Load the backend, capture the calibration inputs' activations and fit the directions."""
    for part in parts:
        if part == "text" and base in NO_TEXT_ONLY:
            raise FitError(f"{NO_TEXT_ONLY[base]}: fit its directions with --parts image")
    require_prepared_or_exit()
    backend = _backend(base, model_args, force_simple)
    model = backend.model
    shape = model_shape(model)
    residual, heads, unsafe, counts = [], [], [], {}
    with torch.no_grad(), LastTokenCapture(model) as capture:
        for part in parts:
            name, requests = _requests(backend, part, limit)
            chosen = task_items(name)
            for request in tqdm(requests, desc=f"steer fit: {part}-centric calibration inputs", unit="input"):
                backend.generate_until([request])
                layer_acts, head_acts = capture.take()
                residual.append(layer_acts)
                heads.append(head_acts)
                unsafe.append(chosen[request.doc_id].unsafe)
            counts[part] = {
                "unsafe": sum(unsafe[-len(requests) :]),
                "safe": len(requests) - sum(unsafe[-len(requests) :]),
            }
    pretrained = model_args_value(model_args, "pretrained") or str(getattr(model.config, "_name_or_path", ""))
    info = {
        "split": CALIBRATION,
        "split_version": SPLIT_VERSION,
        "parts": list(parts),
        "counts": counts,
        "limit": limit,
        "backend": f"{type(backend).__module__}.{type(backend).__name__} ({'simple' if backend.is_simple else 'chat'})",
        "position": "last prompt token",
    }
    return fit(pretrained, shape, torch.stack(residual), torch.stack(heads), torch.tensor(unsafe), info)


def model_args_value(model_args: str, key: str) -> str | None:
    """One ``key=value`` of an lmms-eval ``--model_args`` string (its first, as lmms-eval reads it)."""
    for piece in model_args.split(","):
        name, sep, value = piece.partition("=")
        if sep and name.strip() == key:
            return value.strip()
    return None


def summary(directions: Directions, out: Path, base: str, model_args: str, alphas: Sequence[float]) -> str:
    """What ``steer fit`` prints: what was fitted, the defaults, and the lmms-eval command of each method and
    alpha of the sweep (on the evaluation split, beside the baseline's)."""
    info = directions.info
    parts = info["parts"]
    task = "vscbench_eval" if len(parts) > 1 else f"vscbench_{parts[0]}_eval"
    run = f'--tasks {task} --include_path "$(vscbench tasks-dir)" --log_samples --output_path out/{{name}}/'
    counts = ", ".join(f"{part}: {c['unsafe']} unsafe, {c['safe']} safe" for part, c in info["counts"].items())
    heads = ";".join(f"{a}:{b}" for a, b in directions.default_heads)
    lines = [
        f"{out}: directions of {directions.describe()}",
        f"fitted on the {info['split']} split ({info['split_version']}), {counts}, at the {info['position']}",
        f"defaults: layers={';'.join(map(str, directions.default_layers))} (level=layer), heads={heads} (level=head)",
        "",
        "baseline:",
        f"  lmms-eval --model {base} --model_args {model_args} {run.format(name='baseline')}",
    ]
    for level in ("layer", "head"):
        lines.append(f"steer_{level} (alpha sweep):")
        for alpha in alphas:
            steer = f"base={base},{model_args},directions={out},alpha={alpha:g}" + (
                ",level=head" if level == "head" else ""
            )
            lines.append(
                f"  lmms-eval --model {MODEL_ID} --model_args {steer} {run.format(name=f'steer_{level}_a{alpha:g}')}"
            )
    return "\n".join(lines)
