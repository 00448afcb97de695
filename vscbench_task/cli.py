"""The ``vscbench`` command line: every sub-command's options, and dispatch to the module that does it.

Building the parser imports nothing heavy, and each handler imports its module only when it runs, so
``vscbench tasks-dir`` (inside every lmms-eval command line a user types) and ``vscbench --help`` start
about as fast as Python itself (docs/benchmarks/cli.md).

Exit codes, the same for every sub-command: 0 done; 1 a problem with the data, a run's files, a judge
or a setting (the message says what and how to fix it); 2 a usage error (bad or missing options).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from vscbench_task.dataset import datadir
from vscbench_task.dataset.metadata import DOWNLOAD_URL
from vscbench_task.errors import VSCBenchError
from vscbench_task.scoring.bootstrap_settings import DEFAULT_RESAMPLES, DEFAULT_SEED
from vscbench_task.scoring.readings import JUDGES, READINGS

TASK_YAML_DIR = Path(__file__).resolve().parent / "task_yaml"
EXIT_CODES = "exit codes: 0 done; 1 a data, run, judge or settings problem (the message says how to fix it); 2 usage"
DATA_DIR_HELP = f"data directory (default: ${datadir.ENV_VAR}, else ~/.cache/vscbench)"


def _whole_number(minimum: int, what: str) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``, with a message naming the option."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum}, got {value}")
        return value

    return parse


def _tasks_dir(args: argparse.Namespace) -> int:
    print(TASK_YAML_DIR)
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from vscbench_task.dataset.prepare import prepare, summary

    root = datadir.resolve(args.data_dir)
    print(summary(prepare(args.source, root), root))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from vscbench_task.dataset import metadata
    from vscbench_task.dataset.prepare import verify

    root = datadir.resolve(args.data_dir)
    problems = verify(root)
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        raise VSCBenchError(
            f"{root} failed verification ({count}):\n{listing}\nRun `vscbench prepare` again to rebuild it."
        )
    print(f"{root}: all {len(metadata.referenced_files()):,} images present, unmodified and decodable.")
    return 0


def _rescore(args: argparse.Namespace) -> int:
    from vscbench_task.rescore import rescore, summary

    print(summary(rescore(args.source, args.judge, args.output)))
    return 0


def _report(args: argparse.Namespace) -> int:
    from vscbench_task.report.write import write_report

    written = write_report(
        args.runs, args.out, judge=args.judge, seed=args.seed, resamples=args.resamples, with_html=args.html
    )
    for path in written.values():
        print(path)
    return 0


def _demo(args: argparse.Namespace) -> int:
    import tempfile

    from vscbench_task.demo.run import demo

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vscbench-demo-"))
    demo(workdir, backend=args.backend, limit=args.limit or None, max_new_tokens=args.max_new_tokens)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vscbench", description="VSCBench (visual safety calibration) as lmms-eval tasks.", epilog=EXIT_CODES
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int], help: str, **kw) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help, description=kw.pop("description", help), epilog=EXIT_CODES, **kw)
        cmd.set_defaults(run=handler)
        return cmd

    cmd = command(
        "prepare",
        _prepare,
        "check the authors' image archive and install its images into the data directory",
        description=f"Check the authors' image archive ({DOWNLOAD_URL}) and install the referenced images.",
    )
    cmd.add_argument("source", metavar="ARCHIVE_OR_FOLDER", help="the downloaded .zip, or the folder it extracts to")
    cmd.add_argument("--data-dir", help=DATA_DIR_HELP)

    cmd = command("verify", _verify, "re-check a prepared data directory: every image present, unmodified, decodable")
    cmd.add_argument("--data-dir", help=DATA_DIR_HELP)

    command("tasks-dir", _tasks_dir, "print the lmms-eval task folder (pass it to lmms-eval --include_path)")

    cmd = command(
        "rescore",
        _rescore,
        "recompute all metrics of an lmms-eval --log_samples output with a judge (no model needed)",
    )
    cmd.add_argument("source", type=Path, help="lmms-eval output folder, *_results.json or *_samples_<task>.jsonl")
    cmd.add_argument(
        "--judge", choices=JUDGES, required=True, help="keyword (official, offline) or llm (official LLM judge)"
    )
    cmd.add_argument("--output", type=Path, help="results JSON to write (default: next to the input)")

    cmd = command("report", _report, "leaderboard, breakdowns, paired metrics and plots from lmms-eval outputs")
    cmd.add_argument("runs", nargs="+", metavar="RUN", help="lmms-eval --output_path folder, results or samples file")
    cmd.add_argument("--out", type=Path, required=True, help="folder to write the report into")
    cmd.add_argument(
        "--judge",
        choices=READINGS,
        default="keyword",
        help="whose verdicts to score: keyword, llm (official) or llm_strict (not official); default keyword",
    )
    cmd.add_argument("--html", action="store_true", help="also write a self-contained report.html")
    cmd.add_argument(
        "--seed", type=_whole_number(0, "--seed"), default=DEFAULT_SEED, help=f"bootstrap seed (default {DEFAULT_SEED})"
    )
    cmd.add_argument(
        "--resamples",
        type=_whole_number(1, "--resamples"),
        default=DEFAULT_RESAMPLES,
        help=f"bootstrap resamples (default {DEFAULT_RESAMPLES})",
    )

    cmd = command(
        "demo",
        _demo,
        "run the whole pipeline offline on a tiny random model and synthetic images (scores mean nothing)",
    )
    cmd.add_argument("--workdir", type=Path, help="where to build everything (default: a new temp folder)")
    # Not llava_hf: in lmms-eval 0.7.3 it cannot answer the text part's image-less requests (see README).
    cmd.add_argument("--backend", choices=("qwen2_5_vl", "qwen2_vl"), default="qwen2_5_vl", help="lmms-eval backend")
    cmd.add_argument(
        "--limit",
        type=_whole_number(0, "--limit"),
        default=180,
        help="docs per task, in the tasks' stratified order (default 180: every category, type and variant); 0 = all",
    )
    cmd.add_argument(
        "--max-new-tokens", type=_whole_number(1, "--max-new-tokens"), default=16, help="answer length cap (default 16)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; returns its exit code (argparse exits 2 itself on a usage error)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except VSCBenchError as err:
        print(f"vscbench {args.command}: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
