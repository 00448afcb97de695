"""``vscbench demo``: the whole pipeline on the embedded default, with no download and no GPU.

1. build a stand-in of the authors' image archive (official file names, synthetic pictures);
2. ``vscbench prepare`` it into a private data directory (never the user's real one);
3. build a tiny randomly initialised VLM and save it with ``save_pretrained``;
4. run the real ``lmms-eval`` command line on ``vscbench_image`` and ``vscbench_text``;
5. print the score table from lmms-eval's results file, and write ``vscbench report`` (intervals, paired
   metrics, plots) beside it.

The path is the real one; the scores mean nothing (random model, synthetic images).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from vscbench_task.dataset import datadir
from vscbench_task.dataset.items import PART_OF_TASK
from vscbench_task.dataset.prepare import prepare
from vscbench_task.demo import Backend, standin_archive
from vscbench_task.errors import VSCBenchError
from vscbench_task.hosts.lmms_eval import TASKS_DIR
from vscbench_task.scoring.bootstrap_settings import DEFAULT_RESAMPLES, DEFAULT_SEED
from vscbench_task.scoring.metric_specs import BREAKDOWN

BANNER = "SYNTHETIC DEMO: a random tiny model on stand-in images. The path is real; the scores mean nothing."


def _model(backend: Backend, workdir: Path) -> str:
    """Build the tiny model for ``backend`` and return its ``--model_args``."""
    # Imported here: torch and transformers take seconds to load, and every `vscbench` command imports this module.
    from vscbench_task.demo import tiny_qwen_vl

    return tiny_qwen_vl.model_args(tiny_qwen_vl.build(workdir / f"tiny-{backend}", variant=backend))


def lmms_eval_command(backend: str, model_args: str, output: Path, limit: int | None, max_new_tokens: int) -> list[str]:
    """The lmms-eval invocation the demo runs: exactly what a user would type, plus a short answer cap."""
    command = [sys.executable, "-m", "lmms_eval", "--model", backend, "--model_args", model_args]
    command += ["--batch_size", "1", "--tasks", ",".join(PART_OF_TASK)]
    command += ["--include_path", str(TASKS_DIR)]
    command += ["--gen_kwargs", f"max_new_tokens={max_new_tokens}", "--log_samples", "--output_path", str(output)]
    return command + (["--limit", str(limit)] if limit else [])


def score_table(results: dict) -> str:
    """The headline SRA figures of each task, one row per task plus its breakdown."""
    lines = ["| task | group | SRA_u | SRA_s | mean |", "|---|---|---:|---:|---:|"]
    for task, part in PART_OF_TASK.items():
        scores = results["results"].get(task)
        if scores is None:
            continue
        u, s = scores["sra_u_keyword_judge,none"], scores["sra_s_keyword_judge,none"]
        lines.append(f"| {task} | all | {u:.3f} | {s:.3f} | {scores['sra_mean_keyword_judge,none']:.3f} |")
        for group in BREAKDOWN[part][1]:
            gu = scores[f"sra_u_keyword_judge_{group},none"]
            gs = scores[f"sra_s_keyword_judge_{group},none"]
            lines.append(f"| {task} | {group} | {gu:.3f} | {gs:.3f} | {0.5 * (gu + gs):.3f} |")
        lines.append(f"| {task} | empty responses | {scores['empty_responses,none']:.0f} | | |")
    return "\n".join(lines)


def run(workdir: Path, *, backend: Backend, limit: int | None, max_new_tokens: int) -> Path:
    """Run the demo in ``workdir``; returns lmms-eval's results file. Raises ``VSCBenchError`` if lmms-eval failed."""
    print(BANNER, flush=True)
    archive = standin_archive.build(workdir / "VSCBench-standin.zip", size=64)
    data_dir = workdir / "data"
    prepare(archive, data_dir)
    model_args = _model(backend, workdir)
    output = workdir / "lmms-eval-output"
    env = {**os.environ, datadir.ENV_VAR: str(data_dir), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    command = lmms_eval_command(backend, model_args, output, limit, max_new_tokens)
    print("$", " ".join(command), flush=True)
    completed = subprocess.run(command, env=env)
    found = sorted(output.rglob("*_results.json"))
    if not found:  # lmms-eval exits 0 even when evaluation failed: the results file is the proof
        raise VSCBenchError(f"lmms-eval wrote no results file under {output} (exit code {completed.returncode})")
    return found[-1]


def demo(workdir: Path, *, backend: Backend, limit: int | None, max_new_tokens: int) -> None:
    """The whole demo: the run, then the score table and a report (with plots) beside the outputs."""
    results_path = run(workdir, backend=backend, limit=limit, max_new_tokens=max_new_tokens)
    from vscbench_task.report.write import write_report  # imported late: matplotlib, numpy

    report = write_report(
        [str(results_path)],
        workdir / "report",
        judge="keyword",
        seed=DEFAULT_SEED,
        resamples=DEFAULT_RESAMPLES,
        with_html=True,
    )
    print(f"\n{BANNER}\n\n{score_table(json.loads(results_path.read_text()))}\n")
    print(f"lmms-eval results: {results_path}")
    print(f"report with intervals, paired metrics and plots: {report['markdown']} (and report.html)")
    print(f"logged samples and everything else: {workdir}")
