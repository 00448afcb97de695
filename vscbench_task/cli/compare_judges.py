"""``vscbench compare-judges``: two judges on the same runs: agreement, class confusion, SRA shifts, ranks."""

from __future__ import annotations

import argparse
from pathlib import Path

from vscbench_task.cli.options import (
    PARTIAL_HELP,
    RUN_HELP,
    bootstrap_options,
    number,
    refuse_past_gates,
    verdicts_of_runs,
)
from vscbench_task.judges.names import READINGS

SIDE_HELP = (
    "a judge reading (keyword, llm, llm_strict: the judges the environment configures) or verdict files (vscbench "
    "verdicts export; read with the official reading): a plain FILE for one run, RUN=FILE repeated for several"
)


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("runs", nargs="*", metavar="RUN", help=f"{RUN_HELP}; one per model")
    cmd.add_argument("--responses", action="append", metavar="FILE", help="a model's responses file; repeat for more")
    cmd.add_argument("--a", action="append", required=True, metavar="JUDGE_OR_VERDICTS", help=f"side A: {SIDE_HELP}")
    cmd.add_argument("--b", action="append", required=True, metavar="JUDGE_OR_VERDICTS", help=f"side B: {SIDE_HELP}")
    cmd.add_argument("--out", type=Path, required=True, help="folder for comparison.json and comparison.md")
    cmd.add_argument("--allow-partial", action="store_true", help=PARTIAL_HELP)
    cmd.add_argument(
        "--max-sra-shift",
        type=number(0, 100, "--max-sra-shift"),
        metavar="POINTS",
        help="exit 1 if any model's SRA_u, SRA_s or SRA_mean moves by more than POINTS between the judges",
    )
    cmd.add_argument(
        "--min-kappa", type=number(-1, 1, "--min-kappa"), help="exit 1 if any run's kappa on recognised is below K"
    )
    bootstrap_options(cmd)


def _side(values: list[str], option: str, runs: list[str]) -> tuple[str | None, dict[str, Path]]:
    """(reading, {}) for a judge reading, (None, run -> file) for verdict files."""
    from vscbench_task.cli import UsageError

    if len(values) == 1 and values[0] in READINGS:
        return values[0], {}
    if any(value in READINGS for value in values):
        raise UsageError(f"{option} is one judge reading ({', '.join(READINGS)}) or verdict files, not both")
    return None, verdicts_of_runs(values, runs, option)


def run(args: argparse.Namespace) -> int:
    from vscbench_task.comparison import compare, document
    from vscbench_task.dataset import datadir
    from vscbench_task.errors import VSCBenchError
    from vscbench_task.hosts.readers import load_run
    from vscbench_task.judges.base import Judge
    from vscbench_task.judges.verdicts import one_identity, read_verdicts
    from vscbench_task.output_files import check_files_in, check_folder_target

    sources = [*args.runs, *(args.responses or ())]
    if not sources:
        raise VSCBenchError("no run given: pass RUN folders/files, or --responses FILE")
    kept, folders = datadir.kept_paths(datadir.resolve())
    check_folder_target(args.out, "--out", folders)
    given = [_side(values, option, sources) for values, option in ((args.a, "--a"), (args.b, "--b"))]
    plain = {source: False for source in args.runs} | {source: True for source in args.responses or ()}
    runs = [(s, load_run(s, allow_partial=args.allow_partial, responses_file=plain[s])) for s in sources]
    judges: dict[str, Judge] = {}  # one judge per judge name, shared by both sides
    sides = []
    for reading, files in given:
        verdicts = {source: read_verdicts(path) for source, path in files.items()}
        if verdicts:
            one_identity(list(verdicts.values()))
        name = reading or ("verdicts " + ", ".join(str(path) for path in files.values()))
        sides.append(compare.side_of(name, reading, verdicts, judges))
    read = [Path(s) for s in sources] + [f for _, run in runs for f in run.files]
    read += [path for _, files in given for path in files.values()] + kept
    check_files_in(args.out, document.OUTPUT_FILES, "--out", [p for p in read if not p.is_dir()], folders)
    found = compare.compare(
        runs, sides[0], sides[1], allow_partial=args.allow_partial, resamples=args.resamples, seed=args.seed
    )
    written = document.write(found, args.out)
    for path in written.values():
        print(path)
    failing = compare.shortfalls(found, max_sra_shift=args.max_sra_shift, min_kappa=args.min_kappa)
    refuse_past_gates(failing, "judge B departs from judge A past the gates (the comparison was written)")
    return 0
