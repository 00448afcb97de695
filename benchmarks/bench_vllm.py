"""VSCBench's tasks through lmms-eval's vllm backend against a bare vLLM over the same requests, in one run.

Needs vLLM (``scripts/vllm_e2e.sh`` builds a venv with it and runs this). One vLLM engine, with prefix
caching and the multimodal processor cache off so that no path profits from an earlier one, serves in
rotating order, ``--reps`` times:

* ``lmms``: ``lmms_eval.evaluator.simple_evaluate`` with lmms-eval's own ``vllm`` model object on
  ``vscbench_image`` + ``vscbench_text`` (the whole task path: request building, generation, scoring);
* ``bare``: ``LLM.generate`` over the same requests (each prompt rendered with the chat template, the
  images the tasks' ``doc_to_visual`` gives), the least any harness can do;
* ``chat``: ``LLM.chat`` over the same requests with PNG data URLs, which is what lmms-eval's backend
  hands vLLM: the cost of that choice, apart from the harness around it.

Printed: wall and CPU seconds per run (this process and the engine's children), a breakdown of the
``lmms`` path (its ``generate_until``, inside it ``LLM.chat``), whether every path gave the same outputs,
and the ratios of the medians. Usage (in the vLLM venv)::

    python -m benchmarks.bench_vllm MODEL_DIR --limit 2250 --reps 3 --max-tokens 16
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import psutil

TASKS = ["vscbench_image", "vscbench_text"]


def cpu_seconds() -> float:
    """User + system CPU of this process and its children (vLLM's engine core runs in one)."""
    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += sum(child.cpu_times()[:2])
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--limit", type=int, required=True, help="docs per task (2250: all 4,050)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=16, help="short, so that harness overhead shows")
    args = parser.parse_args()

    from lmms_eval.evaluator import simple_evaluate
    from lmms_eval.models.chat.vllm import VLLM
    from lmms_eval.tasks import TaskManager, get_task_dict
    from vllm import SamplingParams

    from vscbench_task.hosts.lmms_eval import TASKS_DIR as TASK_YAML_DIR
    from vscbench_task.hosts.lmms_eval import hooks
    from vscbench_task.hosts.lmms_eval.outputs import sample_response

    manager = TaskManager(include_path=str(TASK_YAML_DIR))
    task_dict = get_task_dict(TASKS, manager)
    docs = [doc for name in TASKS for i, doc in enumerate(task_dict[name].test_docs()) if i < args.limit]
    lm = VLLM(
        model=args.model,
        max_new_tokens=args.max_tokens,  # see the README: without it the backend raises the cap to 4,096
        batch_size=100000,
        dtype="float32",
        max_model_len=4096,
        gpu_memory_utilization=0.1,
        enforce_eager=True,
        enable_prefix_caching=False,
        mm_processor_cache_gb=0,
    )
    llm = lm.client
    tokenizer = llm.get_tokenizer()
    sampling = SamplingParams(max_tokens=args.max_tokens, temperature=0, top_p=1.0)
    timers = {"generate_until": 0.0, "llm_chat": 0.0}
    original_generate, original_chat = lm.generate_until, llm.chat

    def timed(function: Callable[..., Any], name: str) -> Callable[..., Any]:
        def wrapper(*a: Any, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*a, **kw)
            finally:
                timers[name] += time.perf_counter() - start

        return wrapper

    lm.generate_until = timed(original_generate, "generate_until")

    def run_lmms() -> tuple[dict[str, str], dict[str, float]]:
        timers.update(generate_until=0.0, llm_chat=0.0)
        llm.chat = timed(original_chat, "llm_chat")
        try:
            results = simple_evaluate(
                model=lm,
                tasks=TASKS,
                limit=args.limit,
                gen_kwargs=f"max_new_tokens={args.max_tokens}",
                task_manager=manager,
                log_samples=True,
            )
        finally:
            llm.chat = original_chat
        texts = {}
        for name in TASKS:
            for sample in results["samples"][name]:
                response = sample_response(sample, name, where=f"simple_evaluate {name}")
                texts[response.doc_key] = response.response or ""
        return texts, dict(timers)

    def requests(png: bool) -> list[Any]:
        built = []
        for doc in docs:
            images = hooks.doc_to_visual(doc)
            text = hooks.doc_to_text(doc)
            if png:
                content = []
                for image in images:
                    buffer = io.BytesIO()
                    image.save(buffer, format="PNG")
                    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
                    content.append({"type": "image_url", "image_url": {"url": url}})
                built.append([{"role": "user", "content": [*content, {"type": "text", "text": text}]}])
            else:
                content = [{"type": "image"} for _ in images] + [{"type": "text", "text": text}]
                messages = [{"role": "user", "content": content}]
                item: dict[str, Any] = {
                    "prompt": tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
                }
                if images:
                    item["multi_modal_data"] = {"image": images[0]}
                built.append(item)
        return built

    def run_bare(png: bool) -> tuple[dict[str, str], dict[str, float]]:
        start = time.perf_counter()
        inputs = requests(png)
        prep = time.perf_counter() - start
        start = time.perf_counter()
        outputs = (llm.chat if png else llm.generate)(inputs, sampling, use_tqdm=False)
        call = time.perf_counter() - start
        texts = {doc["doc_key"]: out.outputs[0].text for doc, out in zip(docs, outputs, strict=True)}
        return texts, {"prep": prep, "call": call}

    paths = {"lmms": run_lmms, "bare": lambda: run_bare(False), "chat": lambda: run_bare(True)}
    order = list(paths)
    stats: dict[str, list[dict[str, float]]] = {name: [] for name in paths}
    outputs: dict[str, dict[str, str]] = {}
    for rep in range(args.reps):
        for name in order[rep % 3 :] + order[: rep % 3]:  # a different order each repetition
            cpu, start = cpu_seconds(), time.perf_counter()
            texts, parts = paths[name]()
            wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu
            stats[name].append({"wall": wall, "cpu": cpu, **parts})
            outputs.setdefault(name, texts)
            shown = json.dumps({k: round(v, 2) for k, v in parts.items()})
            print(f"rep {rep} {name}: wall {wall:.2f} s, cpu {cpu:.2f} s, {shown}", flush=True)

    reference = outputs["lmms"]  # stripped, as lmms-eval and the scoring do
    for name in ("bare", "chat"):
        same = sum(reference[k] == v.strip() for k, v in outputs[name].items())
        print(f"outputs lmms vs {name}: {same}/{len(reference)} identical (stripped)")
    medians = {n: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for n, runs in stats.items()}
    print("MEDIANS " + json.dumps({n: {k: round(v, 2) for k, v in m.items()} for n, m in medians.items()}))
    lmms, bare, chat = medians["lmms"], medians["bare"], medians["chat"]
    print(
        f"docs {len(docs)}; ratios of medians: lmms/bare wall {lmms['wall'] / bare['wall']:.2f}x, "
        f"cpu {lmms['cpu'] / bare['cpu']:.2f}x; lmms generate_until / bare (prep + generate) "
        f"{lmms['generate_until'] / (bare['prep'] + bare['call']):.2f}x; "
        f"LLM.chat (PNG) / LLM.generate {chat['call'] / bare['call']:.2f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
