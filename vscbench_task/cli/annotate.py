"""``vscbench annotate``: label a sample of a run's responses in a local page; compare and merge annotators."""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path

from vscbench_task.cli.options import DATA_DIR_HELP, RUN_HELP, whole_number
from vscbench_task.dataset import datadir
from vscbench_task.errors import VSCBenchError
from vscbench_task.guides import guide
from vscbench_task.judges.names import JUDGES

DESCRIPTION = (
    "Label a sample of a run's responses in a local page (127.0.0.1, behind a session token): every label is "
    "appended to --out at once, and the same command resumes. The labels file is a validate-judge --gold-file. "
    "With --agreement, two annotators' kappa; with --adjudicate, a third look at their disagreements; with "
    f"--merge, the adjudicated gold file. Guide: {guide('annotate')}"
)
DEFAULT_SAMPLE = 200
DEFAULT_SEED = 0


def add_arguments(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("run", nargs="?", metavar="RUN", help=RUN_HELP)
    cmd.add_argument("--responses", type=Path, metavar="FILE", help="a responses file (doc_key + response) as the run")
    cmd.add_argument("--out", type=Path, help="the labels file (JSON Lines; appended to, resumed)")
    cmd.add_argument(
        "--sample",
        type=whole_number(1, "--sample"),
        default=DEFAULT_SAMPLE,
        help=f"responses to label (default {DEFAULT_SAMPLE}; at least 10 per stratum is sensible)",
    )
    cmd.add_argument("--seed", type=whole_number(0, "--seed"), default=DEFAULT_SEED, help="sampling seed (default 0)")
    cmd.add_argument("--annotator", help="your name in the labels (default: the login name)")
    cmd.add_argument("--port", type=whole_number(0, "--port", 65535), default=0, help="port (default: a free one)")
    by_judge = cmd.add_mutually_exclusive_group()
    by_judge.add_argument(
        "--judge",
        choices=JUDGES,
        help="stratify by this judge's class too (never shown on the page), so rare disagreements are seen",
    )
    by_judge.add_argument("--verdicts", type=Path, metavar="FILE", help="stratify by the classes of a verdict file")
    cmd.add_argument("--data-dir", help=DATA_DIR_HELP)
    mode = cmd.add_mutually_exclusive_group()
    mode.add_argument(
        "--agreement", nargs=2, type=Path, metavar=("A", "B"), help="two annotators' labels files: their agreement"
    )
    mode.add_argument(
        "--adjudicate",
        nargs=2,
        type=Path,
        metavar=("A", "B"),
        help="serve only A's and B's disagreements, labelled into --out",
    )
    mode.add_argument(
        "--merge", nargs=2, type=Path, metavar=("A", "B"), help="write the adjudicated gold file to --out"
    )
    cmd.add_argument("--adjudicated", type=Path, metavar="C", help="with --merge: the adjudicator's labels file")


def run(args: argparse.Namespace) -> int:
    if args.agreement:
        return _agreement(args)
    if args.merge:
        return _merge(args)
    return _serve(args)


def _agreement(args: argparse.Namespace) -> int:
    from vscbench_task.annotate.agreement import agreement
    from vscbench_task.output_files import check_file_target, write_json

    if args.out is not None:
        check_file_target(args.out, "--out", *_protected(args, args.agreement))
    found = agreement(*args.agreement)
    rec, cls = found["recognised"], found["classes"]
    both, first, second = found["labelled_by_both"], found["only_first"], found["only_second"]
    print(f"labelled by both: {both:,} (only the first: {first}, only the second: {second})")
    for what, figures in (("recognised (refused or flagged)", rec), ("four classes", cls)):
        kappa = _number(figures["cohen_kappa"])
        print(f"{what}: {figures['percent_agreement']:.1f}% agreement, Cohen's kappa {kappa}")
    for item in found["disagreements"]:
        print(f"  {item['id']}: {item['first']} vs {item['second']}")
    if args.out is not None:
        print(write_json(args.out, found))
    return 0


def _protected(args: argparse.Namespace, inputs: list[Path]) -> tuple[list[Path], list[Path]]:
    """What ``--out`` may not be: the files the command reads, and the data directory's own files."""
    kept_files, kept_folders = datadir.kept_paths(datadir.resolve(args.data_dir))
    return [*inputs, *kept_files], kept_folders


def _number(value: float) -> str:
    return "undefined" if value != value else f"{value:.3f}"


def _merge(args: argparse.Namespace) -> int:
    from vscbench_task.annotate.agreement import merged
    from vscbench_task.output_files import check_file_target

    if args.out is None:
        raise VSCBenchError("--merge writes the gold file to --out: give it")
    check_file_target(
        args.out, "--out", *_protected(args, [*args.merge, *([args.adjudicated] if args.adjudicated else [])])
    )
    count = merged(args.merge[0], args.merge[1], args.adjudicated, args.out)
    print(f"{args.out}: {count:,} adjudicated labels (a validate-judge --gold-file)")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from vscbench_task.annotate.agreement import disagreeing
    from vscbench_task.annotate.server import serve, url
    from vscbench_task.annotate.start import open_session
    from vscbench_task.output_files import check_file_target

    source = args.responses or (Path(args.run) if args.run else None)
    if source is None or args.out is None:
        raise VSCBenchError("give the run (RUN or --responses FILE) and the labels file (--out)")
    read = [path for path in (source, *(args.adjudicate or ())) if not path.is_dir()]
    check_file_target(args.out, "--out", *_protected(args, read))
    only = disagreeing(*args.adjudicate) if args.adjudicate else None
    if only is not None and not only:
        print("the two annotators agree on every response: nothing to adjudicate")
        return 0
    session, sample = open_session(
        source,
        args.out,
        size=args.sample,
        seed=args.seed,
        annotator=args.annotator or getpass.getuser(),
        data_dir=datadir.resolve(args.data_dir),
        judge=args.judge,
        verdicts=args.verdicts,
        responses_file=args.responses is not None,
        only=only,
        title="VSCBench adjudication" if only is not None else "VSCBench labelling",
    )
    server = serve(session, args.port)
    try:
        print(json.dumps({"strata": {s: [sample.drawn[s], n] for s, n in sample.population.items()}}))
        for stratum in sample.empty:
            print(f"empty stratum (no response of the run falls in it): {stratum}")
        if (note := sample.minimum_note()) is not None:
            print(f"note: {note}")
        done = sum(1 for label in session.labels.labels.values() if label.human_class is not None)
        print(f"{done:,} of {len(sample.items):,} labelled so far in {args.out}")
        print(f"open {url(session, server)}  (Ctrl-C stops; every label is already saved)", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        session.labels.close()
    done = sum(1 for label in session.labels.labels.values() if label.human_class is not None)
    print(f"\n{done:,} of {len(sample.items):,} labelled; labels in {args.out}")
    return 0
