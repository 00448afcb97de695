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
from vscbench_task.demo import BACKENDS, HEAD_DIMS
from vscbench_task.errors import VSCBenchError
from vscbench_task.scoring.bootstrap_settings import DEFAULT_RESAMPLES, DEFAULT_SEED, MAX_RESAMPLES
from vscbench_task.scoring.readings import JUDGES, READINGS
from vscbench_task.validation import DEFAULT_GOLD_SETS, GOLD_SETS

TASK_YAML_DIR = Path(__file__).resolve().parent / "task_yaml"
LM_EVAL_TASKS_DIR = Path(__file__).resolve().parent / "lm_harness" / "tasks"
RUN_HELP = "a model's run: lmms-eval or lm-eval --output_path folder or results file, an inspect_ai log, a samples file"
EXIT_CODES = "exit codes: 0 done; 1 a data, run, judge or settings problem (the message says how to fix it); 2 usage"
PARTIAL_HELP = "score a samples file shorter than its run (truncated): the outputs are marked partial"
VALIDATION_HELP = (
    "a validate-judge validation.json for the LLM judge (default: the one validate-judge saved beside the cache)"
)
DATA_DIR_HELP = f"data directory (default: ${datadir.ENV_VAR}, else ~/.cache/vscbench)"


def _whole_number(minimum: int, what: str, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``minimum`` (to ``maximum``), with a message naming the option."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{what} must be at most {maximum:,}, got {value:,}")
        return value

    return parse


def _number(minimum: float, maximum: float, what: str) -> Callable[[str], float]:
    """An argparse type: a finite number in [minimum, maximum]."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None
        if not minimum <= value <= maximum:  # NaN fails too
            raise argparse.ArgumentTypeError(f"{what} must be between {minimum:g} and {maximum:g}, got {text}")
        return value

    return parse


def _gold_sets(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in GOLD_SETS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"--gold takes a comma-separated list of {', '.join(GOLD_SETS)}; got {text!r}")
    return list(dict.fromkeys(names))


def _tasks_dir(args: argparse.Namespace) -> int:
    print(TASK_YAML_DIR)
    return 0


def _lm_eval_tasks_dir(args: argparse.Namespace) -> int:
    print(LM_EVAL_TASKS_DIR)
    return 0


def _export(args: argparse.Namespace) -> int:
    from vscbench_task.export import export

    count = export(args.out, args.format, datadir.resolve(args.data_dir))
    print(f"{args.out}: {count:,} requests ({args.format})")
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from vscbench_task.dataset.prepare import prepare, summary

    root = datadir.resolve(args.data_dir)
    print(summary(prepare(args.source, root), root))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from vscbench_task.dataset import metadata
    from vscbench_task.dataset.prepare import PrepareError, verify

    root = datadir.resolve(args.data_dir)
    problems = verify(root)
    if problems:
        raise PrepareError(f"{root} failed verification", problems, "Run `vscbench prepare` again to rebuild it.")
    print(f"{root}: all {len(metadata.referenced_files()):,} images present, unmodified and decodable.")
    return 0


def _rescore(args: argparse.Namespace) -> int:
    from vscbench_task.rescore import rescore, summary

    document = rescore(
        args.responses or args.source,
        args.judge,
        args.output,
        validation=args.validation,
        allow_partial=args.allow_partial,
        responses_file=args.responses is not None,
    )
    print(summary(document))
    return 0


def _report(args: argparse.Namespace) -> int:
    from vscbench_task.report.write import write_report

    if not args.runs and not args.responses:
        raise VSCBenchError("no run given: pass RUN folders/files, or --responses FILE")
    written = write_report(
        args.runs,
        args.out,
        judge=args.judge,
        seed=args.seed,
        resamples=args.resamples,
        with_html=args.html,
        validation=args.validation,
        allow_partial=args.allow_partial,
        responses_files=tuple(args.responses or ()),
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


def _validate_judge(args: argparse.Namespace) -> int:
    from vscbench_task.judges import make_judge
    from vscbench_task.output_files import check_folder_target, write_json
    from vscbench_task.validation import document, validate, validity

    check_folder_target(args.out, "--out")
    judge = make_judge(args.judge)
    gold = validate.load_gold_sets(args.gold, args.xstest_dir, limit=args.limit)
    found = validate.validate(judge, gold, resamples=args.resamples, seed=args.seed)
    written = validate.write(found, args.out)
    if args.judge == "llm":  # kept beside the judge's cache, where reports and rescore look for it
        written["saved"] = write_json(validity.saved_path(judge.settings), found)
    print(document.printed_table(found))
    for path in written.values():
        print(path)
    failing = validate.shortfalls(found, min_kappa=args.min_kappa, max_sra_error=args.max_sra_error)
    if failing:
        listing = "\n".join(f"  - {reason}" for reason in failing)
        raise VSCBenchError(f"the {args.judge} judge falls short of the gates (the figures were written):\n{listing}")
    return 0


def _standin_archive(args: argparse.Namespace) -> int:
    from vscbench_task.demo import standin_archive

    print(standin_archive.build(args.dest, size=args.size, as_zip=not args.folder))
    return 0


def _tiny_model(args: argparse.Namespace) -> int:
    from vscbench_task.demo import tiny_qwen_vl

    path = tiny_qwen_vl.build(args.dest, seed=args.seed, variant=args.backend, head_dim=args.head_dim)
    print(f"--model {args.backend} --model_args {tiny_qwen_vl.model_args(path)}")
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
    command(
        "lm-eval-tasks-dir",
        _lm_eval_tasks_dir,
        "print the lm-evaluation-harness task folder (pass it to lm_eval --include_path)",
    )

    cmd = command(
        "export",
        _export,
        "write the benchmark's requests for another generator: JSON Lines, or a VLMEvalKit-style TSV",
    )
    cmd.add_argument(
        "--format",
        choices=("requests", "vlmevalkit"),
        required=True,
        help="requests: one JSON line per item (doc_key, prompt, image path, settings); vlmevalkit: a TSV",
    )
    cmd.add_argument("--out", type=Path, required=True, help="the file to write")
    cmd.add_argument("--data-dir", help=DATA_DIR_HELP)

    cmd = command(
        "rescore",
        _rescore,
        "recompute all metrics of a logged run (any host) or a responses file with a judge (no model needed)",
    )
    given = cmd.add_mutually_exclusive_group(required=True)
    given.add_argument("source", type=Path, nargs="?", help=RUN_HELP)
    given.add_argument(
        "--responses", type=Path, metavar="FILE", help='a JSON Lines file of {"doc_key": ..., "response": ...}'
    )
    cmd.add_argument(
        "--judge", choices=JUDGES, required=True, help="keyword (official, offline) or llm (official LLM judge)"
    )
    cmd.add_argument("--output", type=Path, help="results JSON to write (default: next to the input)")
    cmd.add_argument("--validation", type=Path, help=VALIDATION_HELP)
    cmd.add_argument("--allow-partial", action="store_true", help=PARTIAL_HELP)

    cmd = command("report", _report, "leaderboard, breakdowns, paired metrics and plots from models' runs")
    cmd.add_argument("runs", nargs="*", metavar="RUN", help=f"{RUN_HELP}; one per model")
    cmd.add_argument(
        "--responses",
        action="append",
        metavar="FILE",
        help="a model's responses file (doc_key + response per line); repeat for more models",
    )
    cmd.add_argument("--out", type=Path, required=True, help="folder to write the report into")
    cmd.add_argument(
        "--judge",
        choices=READINGS,
        default="keyword",
        help="whose verdicts to score: keyword, llm (official) or llm_strict (not official); default keyword",
    )
    cmd.add_argument("--html", action="store_true", help="also write a self-contained report.html")
    cmd.add_argument("--validation", type=Path, help=VALIDATION_HELP)
    cmd.add_argument("--allow-partial", action="store_true", help=PARTIAL_HELP)
    _bootstrap_options(cmd)

    cmd = command(
        "validate-judge",
        _validate_judge,
        "measure a judge against human-labelled responses (MSTS, XSTest): accuracy, kappa, per-model SRA error",
    )
    cmd.add_argument(
        "--judge", choices=JUDGES, required=True, help="keyword (official, offline) or llm (official LLM judge)"
    )
    cmd.add_argument(
        "--gold",
        type=_gold_sets,
        default=list(DEFAULT_GOLD_SETS),
        help=f"gold sets, comma-separated, from {', '.join(GOLD_SETS)} (default: {','.join(DEFAULT_GOLD_SETS)})",
    )
    cmd.add_argument(
        "--xstest-dir",
        type=Path,
        help="a clone of github.com/paul-rottger/exaggerated-safety (default: download the five pinned files)",
    )
    cmd.add_argument("--limit", type=_whole_number(1, "--limit"), help="only the first N responses of each gold set")
    cmd.add_argument("--out", type=Path, default=Path("judge-validation"), help="folder for validation.json/.md")
    cmd.add_argument(
        "--min-kappa", type=_number(-1, 1, "--min-kappa"), help="exit 1 if the official reading's kappa is below K"
    )
    cmd.add_argument(
        "--max-sra-error",
        type=_number(0, 100, "--max-sra-error"),
        metavar="POINTS",
        help="exit 1 if any model's SRA is off by more than POINTS",
    )
    _bootstrap_options(cmd)

    cmd = command(
        "demo",
        _demo,
        "run the whole pipeline offline on a tiny random model and synthetic images (scores mean nothing)",
    )
    cmd.add_argument("--workdir", type=Path, help="where to build everything (default: a new temp folder)")
    # Not llava_hf: in lmms-eval 0.7.3 it cannot answer the text part's image-less requests (see README).
    cmd.add_argument("--backend", choices=BACKENDS, default=BACKENDS[0], help="lmms-eval backend")
    cmd.add_argument(
        "--limit",
        type=_whole_number(0, "--limit"),
        default=180,
        help="docs per task, in the tasks' stratified order (default 180: every category, type and variant); 0 = all",
    )
    cmd.add_argument(
        "--max-new-tokens", type=_whole_number(1, "--max-new-tokens"), default=16, help="answer length cap (default 16)"
    )

    cmd = command(
        "standin-archive",
        _standin_archive,
        "write the demo's synthetic stand-in of the authors' image archive (official file names, generated pictures)",
    )
    cmd.add_argument("dest", type=Path, help="the .zip to write (or the folder, with --folder)")
    cmd.add_argument(
        "--size", type=_whole_number(8, "--size", 4096), default=64, help="picture size in pixels (default 64)"
    )
    cmd.add_argument("--folder", action="store_true", help="write the extracted folder instead of a zip")

    cmd = command(
        "tiny-model",
        _tiny_model,
        "write the demo's tiny random Qwen-VL (save_pretrained) and print the lmms-eval options that run it on a CPU",
    )
    cmd.add_argument("dest", type=Path, help="the folder to write the model into")
    cmd.add_argument("--backend", choices=BACKENDS, default=BACKENDS[0], help="lmms-eval backend")
    cmd.add_argument("--seed", type=_whole_number(0, "--seed"), default=0, help="weight seed (default 0)")
    cmd.add_argument(
        "--head-dim",
        type=int,
        choices=HEAD_DIMS,
        default=HEAD_DIMS[0],
        help="attention head size (default 16, the smallest model; 64 for vLLM's CPU attention, which rejects 16)",
    )
    return parser


def _bootstrap_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument(
        "--seed", type=_whole_number(0, "--seed"), default=DEFAULT_SEED, help=f"bootstrap seed (default {DEFAULT_SEED})"
    )
    cmd.add_argument(
        "--resamples",
        type=_whole_number(1, "--resamples", MAX_RESAMPLES),
        default=DEFAULT_RESAMPLES,
        help=f"bootstrap resamples (default {DEFAULT_RESAMPLES:,}, at most {MAX_RESAMPLES:,})",
    )


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
