"""The paper is cited the same, and correctly, wherever the project cites it."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TITLE = "VSCBench: Bridging the Gap in Vision-Language Model Safety Calibration"
AUTHORS = (
    "Geng, Jiahui and Li, Qing and Chen, Zongxiong and Wang, Yuxia and Zhu, Derui and Xie, Zhuohan and "
    "Lyu, Chenyang and Chen, Xiuying and Nakov, Preslav and Karray, Fakhri"
)


def _flat(path: Path) -> str:
    return " ".join(path.read_text().split())


def test_the_citation_names_the_paper_its_authors_and_pages() -> None:
    readme = _flat(REPO / "README.md")
    assert "{{VSCB}ench: Bridging the Gap in Vision-Language Model Safety Calibration}" in readme
    assert f"author = {{{AUTHORS}}}" in readme
    assert "pages = {3047--3059}" in readme and "2025.findings-acl.158" in readme and "2505.20362" in readme
    for cited in (REPO / "README.md", REPO / "vscbench_task/hosts/lmms_eval/tasks/README.md"):
        assert f'"{TITLE}", Findings of ACL 2025, pages 3047\u20133059; arXiv 2505.20362' in _flat(cited).replace(
            "*", ""
        )
