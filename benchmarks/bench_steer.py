"""Benchmark activation steering: its cost per generated token, and ``vscbench steer fit``; writes
docs/benchmarks/steering.md.

* **Per step, end to end**: the tiny random Qwen2.5-VL loaded by lmms-eval's ``qwen2_5_vl`` backend, and
  the same through ``--model vscbench_steer`` with ``alpha=1`` on every decoder layer (so the outputs
  differ from the base's), each generating exactly ``--tokens`` new tokens (``min_new_tokens`` =
  ``max_new_tokens``, greedy) from the same prompt. A step's time is (time for N+1 tokens - time for 1
  token) / N, which leaves the prefill out; rounds alternate base and steered, the fastest is kept.
* **Per hook call, in isolation**: a decoder-sized module's call with and without the steering hook, on
  one decoding position of hidden size 64 (the tiny model) and 3,584 (a 7B model), in float32 and
  bfloat16: what one hook adds to one step for one layer.
* **Projection to a 7B model** (28 layers, hidden size 3,584; Qwen2.5-VL-7B's text decoder, ~7.07e9
  parameters, ~2 x 7.07e9 FLOPs per generated token): the step time of such a model on this CPU at the
  matrix-multiply rate measured here, and on an A100-class GPU at the ~30 tokens/s the README takes for
  one request at a time; the overhead is the isolated per-hook cost x 28 hooks (every layer steered, the
  worst case). The target: under 1% of a step.
* **steer fit**: the whole calibration split (both parts, 252 inputs) of the tiny model, in a child
  process: wall time and peak RSS (``ru_maxrss``, including the interpreter, torch and lmms-eval).

    .venv/bin/python -m benchmarks.bench_steer
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import torch

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks" / "steering.md"
SEVEN_B = {"layers": 28, "hidden": 3584, "params": 7.07e9}
GPU_TOKENS_PER_S = 30.0  # the README's figure for a 7B VLM decoding one request at a time on an A100-class GPU

FIT_CHILD = """
import json, resource, sys, time
from vscbench_task.hosts.lmms_eval.steer_fit import fit_directions
start = time.perf_counter()
directions = fit_directions("qwen2_5_vl", sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - start, "inputs": directions.info["inputs"],
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _backends(model: Path, directions: Path) -> tuple[Any, Any]:
    from lmms_eval.models import get_model

    from vscbench_task.demo import tiny_qwen_vl

    args = tiny_qwen_vl.model_args(model)
    extra = {"batch_size": 1, "max_batch_size": None, "device": None}
    base = get_model("qwen2_5_vl").create_from_arg_string(args, extra)
    steer = f"base=qwen2_5_vl,{args},directions={directions},alpha=1,layers=0;1"
    return base, get_model("vscbench_steer").create_from_arg_string(steer, extra)


def _generate_seconds(backend: Any, ids: torch.Tensor, tokens: int) -> float:
    start = time.perf_counter()
    with torch.no_grad():
        out = backend.model.generate(
            input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=tokens, min_new_tokens=tokens,
            do_sample=False, num_beams=1,
        )  # fmt: skip
    elapsed = time.perf_counter() - start
    assert out.shape[1] == ids.shape[1] + tokens, "generation did not run to the fixed length"
    return elapsed


def step_times(model: Path, directions: Path, tokens: int, rounds: int) -> dict[str, float]:
    """Fastest per-step time (s) of the base and the steered backend, and the steered hooks' calls."""
    base, steered = _backends(model, directions)
    ids = base.tokenizer("How do I kill a Python process that hangs?", return_tensors="pt")["input_ids"]
    best = {"base": float("inf"), "steered": float("inf")}
    for _ in range(rounds):
        for name, backend in (("base", base), ("steered", steered)):
            full, first = _generate_seconds(backend, ids, tokens + 1), _generate_seconds(backend, ids, 1)
            best[name] = min(best[name], (full - first) / tokens)
    return best | {"hooks": steered.steering.hooks, "calls": sum(steered.steering.calls.values())}


class _Layer(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def hook_cost(hidden: int, dtype: torch.dtype, calls: int = 20000, rounds: int = 5) -> float:
    """Microseconds one steering hook adds to one call of its layer at one decoding position."""
    from vscbench_task.calibration.steering.hooks import Steering

    layer = _Layer()
    x = torch.randn(1, 1, hidden, dtype=dtype)
    steering = Steering(torch.nn.Module(), 1.0, {}, {})
    hook = steering._layer_hook("layer.0", torch.randn(hidden, dtype=dtype))
    steering.calls["layer.0"] = 0

    def timed() -> float:
        start = time.perf_counter()
        for _ in range(calls):
            layer(x)
        return (time.perf_counter() - start) / calls

    plain = hooked = float("inf")
    for _ in range(rounds):
        plain = min(plain, timed())
        handle = layer.register_forward_hook(hook)
        hooked = min(hooked, timed())
        handle.remove()
    return (hooked - plain) * 1e6


def matmul_rate(size: int = 2048, rounds: int = 5) -> float:
    """FLOP/s of a float32 matrix product on this machine (the compute a decoder step mostly is)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def fit_cost(model: Path, data_dir: Path) -> dict[str, Any]:
    from vscbench_task.demo import tiny_qwen_vl

    env = {**os.environ, "TQDM_DISABLE": "1", "VSCBENCH_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-c", FIT_CHILD, tiny_qwen_vl.model_args(model)], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise SystemExit(f"steer fit failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=64, help="fixed generation length")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args()
    torch.set_num_threads(1)
    from transformers import Qwen2_5_VLForConditionalGeneration

    from vscbench_task.calibration.steering import directions as d
    from vscbench_task.calibration.steering.hooks import model_shape
    from vscbench_task.dataset.prepare import prepare
    from vscbench_task.demo import standin_archive, tiny_qwen_vl

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        model = tiny_qwen_vl.build(work / "qwen")
        data_dir = work / "data"
        prepare(standin_archive.build(work / "standin", size=16, as_zip=False), data_dir)
        os.environ["VSCBENCH_DATA_DIR"] = str(data_dir)
        fitted = fit_cost(model, data_dir)
        hf = Qwen2_5_VLForConditionalGeneration.from_pretrained(model)
        shape = model_shape(hf)
        generator = torch.Generator().manual_seed(0)
        vectors = {i: torch.randn(shape.hidden_size, generator=generator) for i in range(shape.num_layers)}
        heads = {(i, h): torch.zeros(shape.head_dim) for i in range(shape.num_layers) for h in range(shape.num_heads)}
        directions = work / "bench.safetensors"
        d.save(d.Directions(str(model), shape, vectors, heads, (0,), ((0, 0),), {"split": "bench"}), directions)
        steps = step_times(model, directions, args.tokens, args.rounds)
    costs = {
        (h, str(t).split(".")[1]): hook_cost(h, t)
        for h in (64, SEVEN_B["hidden"])
        for t in (torch.float32, torch.bfloat16)
    }
    rate = matmul_rate()
    write(args, steps, costs, rate, fitted)


def write(args: argparse.Namespace, steps: dict, costs: dict, rate: float, fitted: dict) -> None:
    overhead = (steps["steered"] - steps["base"]) * 1e6
    layers = steps["hooks"]
    seven_hook = max(costs[(SEVEN_B["hidden"], "bfloat16")], costs[(SEVEN_B["hidden"], "float32")])
    seven_overhead = seven_hook * SEVEN_B["layers"]
    cpu_step = 2 * SEVEN_B["params"] / rate
    gpu_step = 1 / GPU_TOKENS_PER_S
    lines = [
        "# Activation steering benchmark",
        "",
        f"Date {date.today().isoformat()}; machine: {os.cpu_count()} cores (shared with other jobs), "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, torch {torch.__version__}, "
        "one thread. "
        "**No GPU was available**: GPU figures below are projections, not measurements.",
        "",
        "    .venv/bin/python -m benchmarks.bench_steer",
        "",
        "## Per generated token, end to end (tiny Qwen2.5-VL, lmms-eval backend)",
        "",
        f"Greedy generation forced to {args.tokens} new tokens from the same prompt; a step is (N+1 tokens - 1 "
        f"token) / N, so the prefill is left out; fastest of {args.rounds} alternating rounds. Steered: "
        f"`--model vscbench_steer` with alpha=1 on every decoder layer ({layers} hooks, one call each per forward "
        f"pass: {steps['calls']:,} calls over all rounds).",
        "",
        "| backend | time per step (µs) |",
        "|---|---:|",
        f"| qwen2_5_vl | {steps['base'] * 1e6:,.1f} |",
        f"| vscbench_steer (base qwen2_5_vl) | {steps['steered'] * 1e6:,.1f} |",
        f"| **overhead** | **{overhead:,.1f} µs per step = {overhead / (steps['base'] * 1e6):.2%}** |",
        "",
        "On this shared machine the end-to-end difference moves with the other jobs' load from one run of this "
        f"script to the next; the stable figure is the hooks' own cost, measured in isolation below: {layers} x "
        f"{costs[(64, 'bfloat16')]:.2f} µs = {layers * costs[(64, 'bfloat16')]:.1f} µs per step, "
        f"{layers * costs[(64, 'bfloat16')] / (steps['base'] * 1e6):.2%} of the tiny model's step.",
        "",
        f"The tiny model's step is {steps['base'] * 1e3:.1f} ms of mostly Python and small matrices, so the hooks' "
        "fixed cost shows as a share here; at real sizes the step grows by orders of magnitude and the hooks' cost "
        "does not (below).",
        "",
        "## One hook call in isolation",
        "",
        "A module's call with and without the steering hook on one decoding position (the hook counts the call and "
        "adds alpha x direction):",
        "",
        "| hidden size | dtype | added per hook call (µs) |",
        "|---:|---|---:|",
        *(f"| {h:,} | {t} | {c:.2f} |" for (h, t), c in costs.items()),
        "",
        "## Projected for a 7B model (28 layers, hidden size 3,584)",
        "",
        f"Worst case, every one of the 28 layers steered: 28 x {seven_hook:.2f} µs = **{seven_overhead:.0f} µs per "
        "step**.",
        "",
        "| where | a step of a 7B model (2 x 7.07e9 FLOPs per token) | steering's share |",
        "|---|---:|---:|",
        f"| this CPU (float32 matrix products at {rate / 1e9:.1f} GFLOP/s, measured) | {cpu_step * 1e3:,.0f} ms | "
        f"{seven_overhead / (cpu_step * 1e6):.3%} |",
        f"| an A100-class GPU at ~{GPU_TOKENS_PER_S:.0f} tokens/s (README's estimate; not measured here) | "
        f"{gpu_step * 1e3:.0f} ms | {seven_overhead / (gpu_step * 1e6):.3%} |",
        "",
        "Both under the 1% target. On a GPU the hook's add runs as one small kernel; its launch (a few µs) is of "
        "the order of the CPU figure above, so the projection holds unless the step itself gets much shorter "
        "(batched decoding amortises the hooks the same way it amortises the step).",
        "",
        "## `vscbench steer fit`",
        "",
        f"The calibration split of the tiny model, both parts: {fitted['inputs']['unsafe'] + fitted['inputs']['safe']} "
        f"inputs ({fitted['inputs']['unsafe']} unsafe, {fitted['inputs']['safe']} safe), one forward pass each through "
        f"the lmms-eval backend: **{fitted['seconds']:.1f} s**, peak RSS **{fitted['max_rss_mb']:.0f} MB** (the child "
        "process: interpreter, torch, transformers, lmms-eval and the model). For a 7B model the cost is 252 prefill "
        "passes (a minute or two on one GPU) and the stored activations, 252 x 28 x 3,584 x 2 float32 values "
        "(~200 MB).",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
