"""End to end: activation steering on the tiny Qwen2.5-VL and the tiny LLaVA.

``vscbench steer fit`` and ``lmms-eval --model vscbench_steer`` run as users run them (subprocesses; the
plugin found through the package's entry point). The in-process checks load the plugin through lmms-eval's
own model registry and compare the Hugging Face model's logits with and without the hooks. The oracle for
the fitted directions builds each calibration input with the model's processor as the backend's code path
does (chat template, generation prompt, images), runs its own forward hooks and averages.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import torch

from tests.conftest import TinyModels
from tests.support.lmms import LMMS_EVAL, LMMS_TASKS_DIR, offline_env, results_file, run_vscbench
from tests.support.oracle import load_samples, response
from vscbench_task.calibration.steering import directions as d
from vscbench_task.calibration.steering.hooks import model_shape
from vscbench_task.dataset import datadir
from vscbench_task.dataset.images import rgb_from_bytes
from vscbench_task.dataset.items import Item
from vscbench_task.demo import tiny_qwen_vl
from vscbench_task.hosts.lmms_eval.task_table import task_items
from vscbench_task.hosts.task_names import calibration_task

FIT_LIMIT = 8  # per part: the first calibration docs in the stratified order, safe and unsafe
LLAVA_ARGS = "device=cpu,device_map=cpu,dtype=float32"


def _model_args(backend: str, model: Path) -> str:
    return tiny_qwen_vl.model_args(model) if backend == "qwen2_5_vl" else f"pretrained={model},{LLAVA_ARGS}"


@pytest.fixture(scope="module")
def models(tiny_models: TinyModels) -> dict[str, Path]:
    return {"qwen2_5_vl": tiny_models.qwen(), "llava_hf": tiny_models.llava()}


@pytest.fixture(scope="module")
def fitted(models: dict[str, Path], prepared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Direction files fitted by the command line: both parts for Qwen, the image part for LLaVA (lmms-eval
    0.7.3's llava_hf cannot answer text-only requests)."""
    out = tmp_path_factory.mktemp("directions")
    found = {}
    for backend, parts in (("qwen2_5_vl", "image,text"), ("llava_hf", "image")):
        path = out / f"{backend}.safetensors"
        args = ["steer", "fit", "--model", backend, "--model_args", _model_args(backend, models[backend])]
        done = run_vscbench([*args, "--out", str(path), "--parts", parts, "--limit", str(FIT_LIMIT)], prepared_dir)
        assert done.returncode == 0, done.stderr[-3000:]
        assert f"lmms-eval --model vscbench_steer --model_args base={backend}," in done.stdout
        found[backend] = path
    return found


def _oracle_inputs(backend: str, processor: Any, item: Item, data_dir: Path) -> dict[str, torch.Tensor]:
    """One calibration input as the backend's chat class builds it: the image first, then the prompt, one
    user turn, the generation prompt; images decoded from the prepared files."""
    images = []
    if item.image is not None:
        snapshot, files = datadir.prepared_files(data_dir)
        images = [rgb_from_bytes(datadir.read_checked(snapshot, item.image, files[item.image]), name=item.image)]
    if backend == "qwen2_5_vl":
        from qwen_vl_utils import process_vision_info

        content = [{"type": "image", "image": image} for image in images] + [{"type": "text", "text": item.prompt}]
        messages = [{"role": "user", "content": content}]
        text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        vision, _, _ = process_vision_info(messages, return_video_kwargs=True, return_video_metadata=True)
        return processor(text=[text], images=vision, videos=None, return_tensors="pt")
    content = [{"type": "image"} for _ in images] + [{"type": "text", "text": item.prompt}]
    text = processor.apply_chat_template(
        [{"role": "user", "content": content}], tokenize=False, add_generation_prompt=True
    )
    return processor(images=images or None, text=text, return_tensors="pt")


def _last(tensor: torch.Tensor) -> torch.Tensor:
    """The last position of the first (only) input: the last prompt token."""
    return tensor[0, -1].float()


def _load(backend: str, model: Path) -> tuple[Any, Any]:
    from transformers import AutoProcessor, LlavaForConditionalGeneration, Qwen2_5_VLForConditionalGeneration

    if backend == "qwen2_5_vl":  # lmms-eval loads Qwen2.5-VL in bfloat16 whatever the device
        pixels = {"min_pixels": tiny_qwen_vl.MIN_PIXELS, "max_pixels": tiny_qwen_vl.MAX_PIXELS}
        hf = Qwen2_5_VLForConditionalGeneration.from_pretrained(model, dtype=torch.bfloat16).eval()
        return hf, AutoProcessor.from_pretrained(model, **pixels)
    return LlavaForConditionalGeneration.from_pretrained(
        model, dtype=torch.float32
    ).eval(), AutoProcessor.from_pretrained(model)


@pytest.mark.parametrize("backend", ["qwen2_5_vl", "llava_hf"])
def test_steer_fit_reproduces_the_mean_difference_computed_independently(
    backend: str, models: dict[str, Path], fitted: dict[str, Path], prepared_dir: Path
) -> None:
    hf, processor = _load(backend, models[backend])
    layers = hf.model.language_model.layers
    parts = ("image", "text") if backend == "qwen2_5_vl" else ("image",)
    residual: dict[bool, list[torch.Tensor]] = {True: [], False: []}
    heads: dict[bool, list[torch.Tensor]] = {True: [], False: []}
    seen: dict[str, list] = {"layers": [], "heads": []}
    hooks = [layer.register_forward_hook(lambda m, a, out: seen["layers"].append(_last(out))) for layer in layers]
    hooks += [
        layer.self_attn.o_proj.register_forward_pre_hook(lambda m, a: seen["heads"].append(_last(a[0])))
        for layer in layers
    ]
    for part in parts:
        for item in task_items(calibration_task(part))[:FIT_LIMIT]:
            seen["layers"], seen["heads"] = [], []
            with torch.no_grad():
                hf(**_oracle_inputs(backend, processor, item, prepared_dir))
            residual[item.unsafe].append(torch.stack(seen["layers"]))
            heads[item.unsafe].append(torch.stack(seen["heads"]))
    for hook in hooks:
        hook.remove()
    loaded = d.load(fitted[backend])
    shape = model_shape(hf)
    assert loaded.shape == shape and loaded.info["inputs"] == {
        "unsafe": len(residual[True]),
        "safe": len(residual[False]),
    }
    expected_layers = torch.stack(residual[True]).double().mean(0) - torch.stack(residual[False]).double().mean(0)
    expected_heads = torch.stack(heads[True]).double().mean(0) - torch.stack(heads[False]).double().mean(0)
    for layer in range(shape.num_layers):
        torch.testing.assert_close(loaded.layers[layer].double(), expected_layers[layer], rtol=1e-5, atol=1e-5)
        for head in range(shape.num_heads):
            cols = slice(head * shape.head_dim, (head + 1) * shape.head_dim)
            torch.testing.assert_close(
                loaded.heads[(layer, head)].double(), expected_heads[layer, cols], rtol=1e-5, atol=1e-5
            )


@pytest.mark.parametrize("backend", ["qwen2_5_vl", "llava_hf"])
def test_alpha_zero_installs_counted_hooks_and_answers_as_the_base_backend(
    backend: str, models: dict[str, Path], fitted: dict[str, Path], prepared_dir: Path, tmp_path: Path
) -> None:
    """Both runs in one lmms-eval process, through a ``--config`` list (as a bundled suite runs models)."""
    args = _model_args(backend, models[backend])
    runs = {
        "base": (backend, args),
        "steer": ("vscbench_steer", f"base={backend},{args},directions={fitted[backend]},alpha=0"),
    }
    config = [
        {"model": model, "model_args": model_args, "tasks": "vscbench_image_eval", "limit": 3,
         "gen_kwargs": "max_new_tokens=4", "log_samples": True, "output_path": str(tmp_path / name)}
        for name, (model, model_args) in runs.items()
    ]  # fmt: skip
    (tmp_path / "suite.yaml").write_text(json.dumps(config))  # JSON is YAML
    command = [*LMMS_EVAL, "--config", str(tmp_path / "suite.yaml"), "--include_path", str(LMMS_TASKS_DIR)]
    done = subprocess.run(
        command, capture_output=True, text=True, env=offline_env(prepared_dir), timeout=900, cwd=tmp_path
    )
    for name in runs:
        assert list((tmp_path / name).rglob("*_results.json")), done.stderr[-3000:]
    calls = re.findall(r"vscbench_steer: 1 hooks, alpha=0\.0; calls: layer\.1 x(\d+)", done.stderr)
    assert calls and 3 <= sum(map(int, calls)) <= 3 * 4  # one forward per generated token, three docs
    responses = [
        {s["doc_id"]: response(s) for s in load_samples(tmp_path / name, "vscbench_image_eval")} for name in runs
    ]
    assert responses[0] == responses[1] and len(responses[0]) == 3
    config_written = json.loads(results_file(tmp_path / "steer").read_text())["config"]
    assert config_written["model"] == "vscbench_steer" and "Steered" in config_written["model_backend"]


def _steered(backend: str, model: Path, directions: Path, **settings: object) -> Any:
    from lmms_eval.models import get_model

    args = ",".join([f"base={backend}", _model_args(backend, model), f"directions={directions}"])
    args += "".join(f",{key}={value}" for key, value in settings.items())
    return get_model("vscbench_steer").create_from_arg_string(
        args, {"batch_size": 1, "max_batch_size": None, "device": None}
    )


def _logits(lm: Any, text: str = "How do I cut this?") -> torch.Tensor:
    ids = lm.tokenizer(text, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        return lm.model(input_ids=ids).logits[0, -1].float()


def _file(model: Path, hf: Any, tmp_path: Path, layers: dict[int, torch.Tensor], heads: dict) -> Path:
    shape = model_shape(hf)
    full_layers = {i: layers.get(i, torch.zeros(shape.hidden_size)) for i in range(shape.num_layers)}
    full_heads = {
        (i, h): heads.get((i, h), torch.zeros(shape.head_dim))
        for i in range(shape.num_layers)
        for h in range(shape.num_heads)
    }
    path = tmp_path / "made.safetensors"
    d.save(
        d.Directions(str(model), shape, full_layers, full_heads, (shape.num_layers - 1,), ((0, 0),), {"split": "made"}),
        path,
    )
    return path


def test_a_direction_along_a_token_s_unembedding_raises_that_token_s_probability(
    models: dict[str, Path], tmp_path: Path
) -> None:
    probe = _steered(
        "qwen2_5_vl",
        models["qwen2_5_vl"],
        _file(models["qwen2_5_vl"], _load("qwen2_5_vl", models["qwen2_5_vl"])[0], tmp_path, {}, {}),
        alpha=0,
    )
    token = int(_logits(probe).argmin())  # the least likely next token without steering
    row = probe.model.lm_head.weight[token].float()
    path = _file(models["qwen2_5_vl"], probe.model, tmp_path, {1: row / row.norm()}, {})
    lm = _steered("qwen2_5_vl", models["qwen2_5_vl"], path, alpha=400, layers=1)
    steered = torch.softmax(_logits(lm), -1)
    lm.steering.remove()
    plain = torch.softmax(_logits(lm), -1)
    assert steered[token] > 10 * plain[token] and int(steered.argmax()) == token


def test_head_level_steering_touches_only_its_heads(models: dict[str, Path], tmp_path: Path) -> None:
    hf, processor = _load("llava_hf", models["llava_hf"])
    shape = model_shape(hf)
    layer, head = 1, 2
    with torch.no_grad():  # head 1:2 contributes nothing to the attention output: its o_proj columns are zero
        hf.model.language_model.layers[layer].self_attn.o_proj.weight[
            :, head * shape.head_dim : (head + 1) * shape.head_dim
        ] = 0
    zeroed = tmp_path / "zeroed"
    hf.save_pretrained(zeroed)
    processor.save_pretrained(zeroed)
    generator = torch.Generator().manual_seed(0)
    heads = {(layer, h): torch.randn(shape.head_dim, generator=generator) for h in range(shape.num_heads)}
    path = _file(zeroed, hf, tmp_path, {}, heads)
    own = _steered("llava_hf", zeroed, path, alpha=50, level="head", heads=f"{layer}:{head}")
    assert own.steering.hooks == 1
    steered = _logits(own)
    own.steering.remove()
    assert torch.equal(steered, _logits(own))
    other = _steered("llava_hf", zeroed, path, alpha=50, level="head", heads=f"{layer}:{head - 1}")
    moved = _logits(other)
    other.steering.remove()
    assert not torch.allclose(moved, _logits(other))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"layers": 5}, r"layer 5 does not exist: .* has layers 0 to 1"),
        ({"level": "head", "heads": "0:7"}, r"head 0:7 does not exist: .* heads 0 to 3 in each"),
        ({"alpha": "much"}, r"alpha='much' is not a number"),
    ],
)
def test_unknown_layers_and_heads_are_refused_by_name(
    settings: dict, message: str, models: dict[str, Path], fitted: dict[str, Path]
) -> None:
    with pytest.raises(SystemExit, match=message):
        _steered("llava_hf", models["llava_hf"], fitted["llava_hf"], **settings)


def test_a_direction_file_of_another_model_is_refused_naming_both(
    models: dict[str, Path], fitted: dict[str, Path]
) -> None:
    fitted_on = r"qwen2_5_vl.* was fitted on .*Qwen2_5_VLForConditionalGeneration"
    with pytest.raises(SystemExit, match=fitted_on + r".* but this run loads .*LlavaForConditionalGeneration"):
        _steered("llava_hf", models["llava_hf"], fitted["qwen2_5_vl"])
