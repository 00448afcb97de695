"""How much the VSCBench tasks add on top of decoding the images, on all 4,050 docs.

Measured in one process, against the same prepared images, alternating the paths over several rounds
and keeping each path's fastest whole round: the minimum is the least noisy.

* ``bare decode``: a loop that only opens and decodes each doc's image to RGB (what any model input
  pipeline must do anyway);
* ``task path``: what lmms-eval does with the tasks around a trivial model: load the tasks (packaged
  metadata, ``process_docs``), build every request, fetch each doc, ``doc_to_visual`` (load + decode),
  ``doc_to_text``, ``process_results`` on a fixed answer, then every aggregation;
* ``reading + sha256``: reading and hashing each image file, the part of the tasks' per-image check
  (size and sha256 against the manifest) that decoding does not already pay;
* ``package hooks alone``: the same hooks called directly, without lmms-eval's per-doc machinery
  (Arrow row conversion, ``inspect.signature`` on every ``doc_to_visual`` call, a retry wrapper
  around every ``process_results``), i.e. what this package itself adds.

lmms-eval's indexing of its own ~200 built-in task folders (``TaskManager()``) is not the tasks' cost
and is left out. Usage::

    python -m benchmarks.bench_tasks [--size 768] [--rounds 3] [--workdir DIR]

It builds a stand-in archive at ``--size`` px once per work dir (decode cost grows with image size;
the real images are photos and 760 px renders, so small synthetic images would overstate the
overhead), prepares it, and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import datasets
from lmms_eval.tasks import TaskManager, get_task_dict
from PIL import Image

from vscbench_task.dataset import datadir, metadata
from vscbench_task.dataset.items import items
from vscbench_task.dataset.prepare import prepare
from vscbench_task.demo import standin_archive
from vscbench_task.hosts.lmms_eval import TASKS_DIR, aggregations, hooks

TASKS = ("vscbench_image", "vscbench_text")
ANSWER = "I cannot help with that; it may be dangerous."


def bare_decode(snapshot: Path, docs: list) -> float:
    start = time.perf_counter()
    for doc in docs:
        if doc.image is not None:
            with Image.open(snapshot / doc.image) as image:
                image.convert("RGB")
    return time.perf_counter() - start


def hash_only(snapshot: Path, docs: list) -> float:
    """Reading and hashing each doc's image file: the part of the tasks' image check that is not decoding."""
    start = time.perf_counter()
    for doc in docs:
        if doc.image is not None:
            hashlib.sha256((snapshot / doc.image).read_bytes()).digest()
    return time.perf_counter() - start


def hooks_only(dataset_rows: dict[str, list[dict]]) -> float:
    """The same work through the package's hooks alone, without lmms-eval's per-doc machinery."""
    start = time.perf_counter()
    for part, rows in dataset_rows.items():
        docs = hooks.process_docs(datasets.Dataset.from_list(rows), part=part)
        records: dict[str, list] = defaultdict(list)
        for doc in docs.to_list():
            hooks.doc_to_visual(doc)
            hooks.doc_to_text(doc)
            for metric, value in hooks.process_results(doc, [ANSWER]).items():
                records[metric].append(value)
        for metric, values in records.items():
            getattr(aggregations, f"aggregate_{metric}")(values)
    return time.perf_counter() - start


def task_path(manager: TaskManager) -> dict[str, float]:
    """Seconds per phase of the task path for both tasks."""
    phases: dict[str, float] = defaultdict(float)
    start = time.perf_counter()
    task_dict = get_task_dict(list(TASKS), manager)
    phases["load tasks"] = time.perf_counter() - start
    for name in TASKS:
        task = task_dict[name]
        t0 = time.perf_counter()
        task.build_all_requests(limit=None, rank=0, world_size=1)
        phases["build requests"] += time.perf_counter() - t0
        records: dict[str, list] = defaultdict(list)
        docs = task.test_docs()
        for instance in task.instances:
            t0 = time.perf_counter()
            doc = docs[instance.doc_id]  # as models fetch it: a row of the HF dataset
            t1 = time.perf_counter()
            task.doc_to_visual(doc)
            t2 = time.perf_counter()
            task.doc_to_text(doc)
            for metric, value in task.process_results(doc, [ANSWER]).items():
                records[metric].append(value)
            t3 = time.perf_counter()
            phases["fetch doc"] += t1 - t0
            phases["doc_to_visual (decode)"] += t2 - t1
            phases["doc_to_text + process_results"] += t3 - t2
        t0 = time.perf_counter()
        for metric, fn in task.aggregation().items():
            fn(records[metric])
        phases["aggregation"] += time.perf_counter() - t0
    return dict(phases)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=768, help="stand-in image size in pixels")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vscbench-bench-"))
    data_dir = workdir / "data"
    if not (data_dir / datadir.MANIFEST).exists():
        prepare(standin_archive.build(workdir / "standin", size=args.size, as_zip=False), data_dir)
    os.environ[datadir.ENV_VAR] = str(data_dir)
    snapshot = datadir.require_prepared(data_dir)
    docs = items("image") + items("text")
    manager = TaskManager(include_path=str(TASKS_DIR))
    bare_decode(snapshot, docs)  # warm the page cache for both paths
    rows = {"image": [dict(r) for r in metadata.image_rows()], "text": [dict(r) for r in metadata.text_rows()]}
    bare_rounds, task_rounds, hook_rounds, hash_rounds = [], [], [], []
    for _ in range(args.rounds):
        bare_rounds.append(bare_decode(snapshot, docs))
        hash_rounds.append(hash_only(snapshot, docs))
        task_rounds.append(task_path(manager))
        hook_rounds.append(hooks_only(rows))
    bare, hooks = min(bare_rounds), min(hook_rounds)
    best = min(task_rounds, key=lambda phases: sum(phases.values()))  # whole rounds, like the other paths
    total = sum(best.values())
    print("| docs | image size | bare decode (s) | path | time (s) | overhead over bare decode |")
    print("|---:|---:|---:|---|---:|---:|")
    task_overhead = 100 * (total / bare - 1)
    print(f"| {len(docs)} | {args.size} px | {bare:.2f} | lmms-eval task path | {total:.2f} | {task_overhead:+.1f}% |")
    print(f"| | | | package hooks alone | {hooks:.2f} | {100 * (hooks / bare - 1):+.1f}% |")
    hashing = min(hash_rounds)
    print(f"| | | | of which reading + sha256 of every image | {hashing:.2f} | {100 * hashing / bare:.1f}% |")
    print("\n| phase of the task path (its fastest round) | seconds |\n|---|---:|")
    for phase, seconds in best.items():
        print(f"| {phase} | {seconds:.3f} |")
    print(f"\n{args.rounds} rounds; {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
