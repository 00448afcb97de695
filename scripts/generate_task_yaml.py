"""Write the lmms-eval and lm-evaluation-harness task files and their aggregation functions from the metric specs.

    python scripts/generate_task_yaml.py            # rewrite the committed files in place
    python scripts/generate_task_yaml.py --out DIR  # write them under DIR instead (the test compares)

What is generated and why: ``vscbench_task.hosts.lmms_eval.task_files`` and ``vscbench_task.hosts.lm_eval.task_files``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from vscbench_task.hosts.lm_eval import task_files as lm_harness_files
from vscbench_task.hosts.lmms_eval import task_files as lmms_files

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write under this folder (same relative paths) instead of in place")
    args = parser.parse_args()
    for path, text in {**lmms_files.rendered(), **lm_harness_files.rendered()}.items():
        target = args.out / path.relative_to(ROOT) if args.out else path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(target)


if __name__ == "__main__":
    main()
