"""Compare two runs of the VSCBench tasks doc by doc: their responses and their own reported metrics.

    python scripts/vllm_compare_runs.py RUN_A RUN_B

Each run is what any host wrote (read with ``vscbench_task.hosts.readers.load_run``: responses as the
scoring sees them, stripped). Metrics are the host's own results (lmms-eval's ``*_results.json``; a run
must have one: lmms-eval exits 0 even when it failed). Exit status 0 iff both agree everywhere.
"""

from __future__ import annotations

import argparse
import math
import sys

from vscbench_task.hosts.readers import load_run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    args = parser.parse_args()
    runs = [load_run(path) for path in (args.a, args.b)]
    texts = [{r.doc_key: r.response for rs in run.responses.values() for r in rs} for run in runs]
    same = set(texts[0]) == set(texts[1])
    if not same:
        print(f"doc sets differ: only in A {sorted(set(texts[0]) - set(texts[1]))[:5]}, only in B "
              f"{sorted(set(texts[1]) - set(texts[0]))[:5]}")  # fmt: skip
    common = sorted(set(texts[0]) & set(texts[1]))
    differ = [key for key in common if texts[0][key] != texts[1][key]]
    print(f"docs: A {len(texts[0])}, B {len(texts[1])}, identical responses {len(common) - len(differ)}/{len(common)}")
    for key in differ[:5]:
        print(f"  DIFF {key}: {texts[0][key]!r:.80} | {texts[1][key]!r:.80}")
    results = [run.results.get("results", {}) for run in runs]
    if not all(results):
        print("a run has no results file: the host failed (see its log)")
        return 1
    checked = wrong = 0
    for task in sorted(set(results[0]) | set(results[1])):
        names = set(results[0].get(task, {})) | set(results[1].get(task, {}))
        for name in sorted(n for n in names if n != "alias" and "stderr" not in n):
            a, b = (r.get(task, {}).get(name) for r in results)
            checked += 1
            if not (a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))):
                wrong += 1
                print(f"  METRIC DIFF {task} {name}: {a} vs {b}")
    print(f"metrics: {checked - wrong}/{checked} identical")
    ok = same and not differ and not wrong
    print("IDENTICAL" if ok else "DIFFERENT")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
