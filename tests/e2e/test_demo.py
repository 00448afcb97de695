"""The README's main-job command: `vscbench demo` runs the whole pipeline offline and prints scores."""

import json
from pathlib import Path

from tests.support.lmms import run_vscbench


def test_demo_prints_both_tasks_scores_and_writes_a_report(tmp_path: Path) -> None:
    # The demo prepares and uses its own data dir, never the one in the environment.
    done = run_vscbench(["demo", "--workdir", str(tmp_path / "demo"), "--limit", "12"], tmp_path / "unused-data-dir")
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert out.count("SYNTHETIC DEMO") >= 2  # announced before the run and above the scores
    assert "| vscbench_image | all |" in out and "| vscbench_text | all |" in out
    (results,) = (tmp_path / "demo" / "lmms-eval-output").rglob("*_results.json")
    scores = json.loads(results.read_text())["results"]
    line = next(row for row in out.splitlines() if row.startswith("| vscbench_image | all |"))
    assert line.split("|")[3].strip() == f"{scores['vscbench_image']['sra_u_keyword_judge,none']:.3f}"
    report = tmp_path / "demo" / "report"
    assert {"report.md", "report.html", "calibration.png"} <= {p.name for p in report.iterdir()}
    manifest = json.loads((tmp_path / "demo" / "data" / "manifest.json").read_text())
    assert manifest["source"]["synthetic_standin"] is True
