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

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from vscbench_task import datadir, metrics
from vscbench_task.demo import standin_archive
from vscbench_task.prepare import prepare

TASKS = {"vscbench_image": "image", "vscbench_text": "text"}
BANNER = "SYNTHETIC DEMO: a random tiny model on stand-in images. The path is real; the scores mean nothing."


def _model(backend: str, workdir: Path) -> str:
    """Build the tiny model for ``backend`` and return its ``--model_args``."""
    # Imported here: torch and transformers take seconds to load, and every `vscbench` command imports this module.
    from vscbench_task.demo import tiny_qwen_vl

    return tiny_qwen_vl.model_args(tiny_qwen_vl.build(workdir / f"tiny-{backend}", variant=backend))


def lmms_eval_command(backend: str, model_args: str, output: Path, limit: int | None, max_new_tokens: int) -> list[str]:
    """The lmms-eval invocation the demo runs: exactly what a user would type, plus a short answer cap."""
    command = [sys.executable, "-m", "lmms_eval", "--model", backend, "--model_args", model_args]
    command += ["--batch_size", "1", "--tasks", ",".join(TASKS)]
    command += ["--include_path", str(Path(__file__).resolve().parents[1] / "task_yaml")]
    command += ["--gen_kwargs", f"max_new_tokens={max_new_tokens}", "--log_samples", "--output_path", str(output)]
    return command + (["--limit", str(limit)] if limit else [])


def score_table(results: dict) -> str:
    """The headline SRA figures of each task, one row per task plus its breakdown."""
    lines = ["| task | group | SRA_u | SRA_s | mean |", "|---|---|---:|---:|---:|"]
    for task, part in TASKS.items():
        scores = results["results"].get(task)
        if scores is None:
            continue
        u, s = scores["sra_u_keyword_judge,none"], scores["sra_s_keyword_judge,none"]
        lines.append(f"| {task} | all | {u:.3f} | {s:.3f} | {scores['sra_mean_keyword_judge,none']:.3f} |")
        for group in metrics.BREAKDOWN[part][1]:
            gu = scores[f"sra_u_keyword_judge_{group},none"]
            gs = scores[f"sra_s_keyword_judge_{group},none"]
            lines.append(f"| {task} | {group} | {gu:.3f} | {gs:.3f} | {0.5 * (gu + gs):.3f} |")
        lines.append(f"| {task} | empty responses | {scores['empty_responses,none']:.0f} | | |")
    return "\n".join(lines)


def run(workdir: Path, *, backend: str, limit: int | None, max_new_tokens: int) -> Path:
    """Run the demo in ``workdir``; returns lmms-eval's results file. Raises RuntimeError if lmms-eval failed."""
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
        raise RuntimeError(f"lmms-eval wrote no results file under {output} (exit code {completed.returncode})")
    return found[-1]


def _run_demo(args: argparse.Namespace) -> int:
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vscbench-demo-"))
    try:
        results_path = run(workdir, backend=args.backend, limit=args.limit, max_new_tokens=args.max_new_tokens)
    except RuntimeError as err:
        print(f"vscbench demo: {err}", file=sys.stderr)
        return 1
    from vscbench_task.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED  # imported late: matplotlib, numpy
    from vscbench_task.report.command import write_report

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
    return 0


def add_command(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the whole pipeline offline on a tiny random model and synthetic images (scores mean nothing)"
    )
    parser.add_argument("--workdir", type=Path, help="where to build everything (default: a new temp folder)")
    # Not llava_hf: in lmms-eval 0.7.3 it cannot answer the text part's image-less requests (see README).
    parser.add_argument("--backend", choices=("qwen2_5_vl", "qwen2_vl"), default="qwen2_5_vl")
    parser.add_argument(
        "--limit",
        type=int,
        default=180,
        help="docs per task, in the tasks' stratified order (default 180: every category, type and variant); 0 = all",
    )
    parser.add_argument("--max-new-tokens", type=int, default=16, help="answer length cap for the tiny model")
    parser.set_defaults(run=_run_demo)
