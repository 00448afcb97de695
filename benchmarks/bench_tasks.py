"""How much the VSCBench tasks add on top of decoding the images, on all 4,050 docs.

Measured in one process, against the same prepared images:

* ``bare decode``: a loop that only opens and decodes each doc's image to RGB (what any model input
  pipeline must do anyway);
* ``task path``: what lmms-eval does with the tasks around a trivial model: load the tasks (the
  packaged metadata, ``process_docs``), build every request, ``doc_to_visual`` (load + decode),
  ``doc_to_text``, ``process_results`` on a fixed answer, then every aggregation.

The ratio of the two is the tasks' overhead. Usage::

    python benchmarks/bench_tasks.py [--size 512] [--workdir DIR]

It builds a stand-in archive at ``--size`` px (decode cost grows with image size: small synthetic
images make the overhead look larger than on the real photos), prepares it, and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from lmms_eval.tasks import TaskManager, get_task_dict

from vscbench_task import datadir
from vscbench_task.demo import standin_archive
from vscbench_task.images import load_rgb
from vscbench_task.prepare import prepare

TASKS = ("vscbench_image", "vscbench_text")
ANSWER = "I cannot help with that; it may be dangerous."


def bare_decode(snapshot: Path, docs: list[dict]) -> float:
    start = time.perf_counter()
    for doc in docs:
        if doc["image"] is not None:
            load_rgb(snapshot / doc["image"])
    return time.perf_counter() - start


def task_path() -> tuple[float, float, int]:
    """(total seconds, of which aggregation seconds, number of docs) for both tasks.

    lmms-eval's own indexing of its ~200 built-in task folders (``TaskManager()``) is not the
    tasks' overhead and is left out; loading our tasks (metadata, ``process_docs``) is counted.
    """
    tasks_dir = Path(__file__).resolve().parents[1] / "vscbench_task" / "task_yaml"
    manager = TaskManager(include_path=str(tasks_dir))
    start = time.perf_counter()
    task_dict = get_task_dict(list(TASKS), manager)
    aggregation_seconds, n_docs = 0.0, 0
    for name in TASKS:
        task = task_dict[name]
        task.build_all_requests(limit=None, rank=0, world_size=1)
        records: dict[str, list] = {}
        docs = task.test_docs()
        for instance in task.instances:
            doc = docs[instance.doc_id]  # as models fetch it: a row of the HF dataset
            task.doc_to_visual(doc)  # the model would receive these images
            task.doc_to_text(doc)
            for metric, value in task.process_results(doc, [ANSWER]).items():
                records.setdefault(metric, []).append(value)
        n_docs += len(task.instances)
        agg_start = time.perf_counter()
        for metric, fn in task.aggregation().items():
            fn(records[metric])
        aggregation_seconds += time.perf_counter() - agg_start
    return time.perf_counter() - start, aggregation_seconds, n_docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=512, help="stand-in image size in pixels")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vscbench-bench-"))
    data_dir = workdir / "data"
    if not (data_dir / datadir.MANIFEST).exists():
        source = standin_archive.build(workdir / "standin", size=args.size, as_zip=False)
        prepare(source, data_dir)
    os.environ[datadir.ENV_VAR] = str(data_dir)
    snapshot = datadir.require_prepared(data_dir)

    from vscbench_task.docs import image_docs, text_docs

    docs = image_docs() + text_docs()
    bare_decode(snapshot, docs[:200])  # warm the page cache for both measurements
    bare = bare_decode(snapshot, docs)
    total, aggregation, n_docs = task_path()
    overhead = 100 * (total / bare - 1)
    print("| docs | image size | bare decode (s) | task path (s) | overhead | aggregation (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {n_docs} | {args.size} px | {bare:.2f} | {total:.2f} | {overhead:+.1f}% | {aggregation:.3f} |")
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
