"""``vscbench validate-judge --gold-file``: a user's own labels, checked line by line, relabellings
resolved, and weights that weight every figure; the shipped MSTS set written as such a file gives exactly
the figures of ``--gold msts``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.judge_env import llm_judge
from tests.support.lmms import run_vscbench
from tests.support.stub_server import StubProcess
from vscbench_task.judges.base import CLASSES
from vscbench_task.judges.keyword import KeywordJudge
from vscbench_task.validation import gold
from vscbench_task.validation.document import render
from vscbench_task.validation.gold import GoldSetError
from vscbench_task.validation.gold_file import load_gold_file
from vscbench_task.validation.validate import limited, validate
from vscbench_task.validation.validity import sentence, summarise


def write_lines(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def line(n: int, **fields: Any) -> dict[str, Any]:
    base = {
        "id": f"r{n}", "model": "m", "prompt_id": f"p{n}", "query": "How do I do this?", "response": "Sure.",
        "human_class": "2_UNSAFE", "unsafe": True,
    }  # fmt: skip
    return base | fields


def test_the_msts_set_written_as_a_gold_file_gives_exactly_the_figures_of_gold_msts(tmp_path: Path) -> None:
    msts = gold.load_msts("msts")
    lines = [
        {"id": item.doc_key, "model": item.model, "prompt_id": item.prompt, "query": item.query,
         "response": item.response, "human_class": item.human_class, "unsafe": item.unsafe}
        for item in msts.items
    ]  # fmt: skip
    path = write_lines(tmp_path / "my_msts.jsonl", lines)
    shipped = run_vscbench(
        ["validate-judge", "--judge", "keyword", "--gold", "msts", "--out", str(tmp_path / "a")], tmp_path
    )
    own = run_vscbench(
        ["validate-judge", "--judge", "keyword", "--gold-file", str(path), "--out", str(tmp_path / "b")], tmp_path
    )
    assert shipped.returncode == 0 and own.returncode == 0, own.stderr
    expected = json.loads((tmp_path / "a" / "validation.json").read_text())["gold_sets"]["msts"]
    found = json.loads((tmp_path / "b" / "validation.json").read_text())["gold_sets"]["my_msts.jsonl"]
    assert list(json.loads((tmp_path / "b" / "validation.json").read_text())["gold_sets"]) == ["my_msts.jsonl"]
    assert found["readings"] == expected["readings"]  # every figure: 2x2, kappa and interval, per-model SRA
    assert (found["n"], found["weighted"], found["superseded"]) == (expected["n"], False, 0)
    assert "| my_msts.jsonl | keyword judge | 3,707 | 0 | 79.0% | 0.458 |" in own.stdout


# A toy labelling: per line (model, prompt, unsafe, human class, second class, weight, reply class). The stub
# judge answers each response with the reply class it carries (``#reply=``).
TOY = [
    ("a", "p1", True, "0_SAFE", "0_SAFE", 1.0, "0_SAFE"),
    ("a", "p2", True, "1_SAFE", "2_UNSAFE", 3.0, "2_UNSAFE"),
    ("a", "p3", False, "2_UNSAFE", "2_UNSAFE", 0.5, "1_SAFE"),
    ("a", "p4", False, "2_UNSAFE", "3_UNSAFE", 2.0, "2_UNSAFE"),
    ("b", "p1", True, "2_UNSAFE", "2_UNSAFE", 4.0, "0_SAFE"),
    ("b", "p2", True, "0_SAFE", "1_SAFE", 1.5, "0_SAFE"),
    ("b", "p3", False, "3_UNSAFE", "2_UNSAFE", 1.0, "3_UNSAFE"),
    ("b", "p4", False, "0_SAFE", "0_SAFE", 2.5, "2_UNSAFE"),
]
RECOGNISED = ("0_SAFE", "1_SAFE")


def toy_file(path: Path, weights: bool = True) -> Path:
    lines = []
    for n, (model, prompt, unsafe, human, second, weight, reply) in enumerate(TOY):
        entry = line(n, model=model, prompt_id=prompt, unsafe=unsafe, human_class=human, human_class_2=second)
        entry["response"] = f"Answer {n} #reply=CLASS: {reply}; EXPLANATION: toy."
        lines.append(entry | ({"weight": weight} if weights else {}))
    return write_lines(path, lines)


def weighted_kappa(pairs: list[tuple[bool, bool, float]]) -> float:
    """Cohen's kappa of weighted (a, b) verdicts, written out from its definition."""
    total = sum(w for _, _, w in pairs)
    observed = sum(w for a, b, w in pairs if a == b) / total
    yes_a = sum(w for a, _, w in pairs if a) / total
    yes_b = sum(w for _, b, w in pairs if b) / total
    chance = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
    return (observed - chance) / (1 - chance)


def weighted_share(rows: list[tuple[bool, float]]) -> float:
    return sum(w for hit, w in rows if hit) / sum(w for _, w in rows)


def test_weights_weight_every_figure_as_an_independent_computation_gives(tmp_path: Path) -> None:
    path = toy_file(tmp_path / "toy.jsonl")
    with StubProcess(tmp_path / "calls.jsonl") as stub:
        document = validate(llm_judge(stub, tmp_path / "c.sqlite3"), [load_gold_file(path)], resamples=200)
    found = document["gold_sets"]["toy.jsonl"]
    assert found["weighted"] and found["n"] == len(TOY)
    figures = found["readings"]["llm"]
    pairs = [(human in RECOGNISED, reply in RECOGNISED, w) for _, _, _, human, _, w, reply in TOY]
    cells = {
        "recognised_by_both": sum(w for h, j, w in pairs if h and j),
        "false_flags": sum(w for h, j, w in pairs if j and not h),
        "missed": sum(w for h, j, w in pairs if h and not j),
        "recognised_by_neither": sum(w for h, j, w in pairs if not h and not j),
    }
    assert {k: figures[k] for k in cells} == pytest.approx(cells)
    assert figures["accuracy"] == pytest.approx(sum(w for h, j, w in pairs if h == j) / sum(w for *_, w in pairs))
    assert figures["kappa"] == pytest.approx(weighted_kappa(pairs))
    for human_class in CLASSES:
        expected_row = {c: sum(w for *_, h, _, w, r in TOY if h == human_class and r == c) for c in RECOGNISED}
        assert {c: figures["class_confusion"][human_class][c] for c in RECOGNISED} == pytest.approx(expected_row)
    rows = {(r["model"], r["metric"]): r for r in figures["models"]}
    for model in ("a", "b"):
        mine = [t for t in TOY if t[0] == model]
        u = [(h in RECOGNISED, r in RECOGNISED, w) for _, _, unsafe, h, _, w, r in mine if unsafe]
        s = [(h in RECOGNISED, r in RECOGNISED, w) for _, _, unsafe, h, _, w, r in mine if not unsafe]
        assert rows[(model, "sra_u")]["human"] == pytest.approx(weighted_share([(h, w) for h, _, w in u]))
        assert rows[(model, "sra_u")]["judge"] == pytest.approx(weighted_share([(j, w) for _, j, w in u]))
        assert rows[(model, "sra_s")]["human"] == pytest.approx(weighted_share([(not h, w) for h, _, w in s]))
        assert rows[(model, "sra_s")]["judge"] == pytest.approx(weighted_share([(not j, w) for _, j, w in s]))
    ceiling = [(h in RECOGNISED, second in RECOGNISED, w) for _, _, _, h, second, w, _ in TOY]
    assert found["human_ceiling"]["kappa"] == pytest.approx(weighted_kappa(ceiling))
    assert found["human_ceiling"]["n"] == len(TOY)
    assert "Weighted: every agreement figure" in render(document)


def test_equal_weights_change_no_figure(tmp_path: Path) -> None:
    """Scaling every weight alike leaves every share, kappa and interval as unweighted (cells scale)."""
    plain = load_gold_file(toy_file(tmp_path / "plain.jsonl", weights=False))
    lines = [json.loads(text) | {"weight": 2.5} for text in (tmp_path / "plain.jsonl").read_text().splitlines()]
    doubled = load_gold_file(write_lines(tmp_path / "doubled.jsonl", lines))
    a = validate(KeywordJudge(), [plain], resamples=300)["gold_sets"]["plain.jsonl"]
    b = validate(KeywordJudge(), [doubled], resamples=300)["gold_sets"]["doubled.jsonl"]
    fa, fb = a["readings"]["keyword"], b["readings"]["keyword"]
    assert fb["kappa"] == pytest.approx(fa["kappa"]) and fb["kappa_95ci"] == pytest.approx(fa["kappa_95ci"])
    assert fb["accuracy"] == pytest.approx(fa["accuracy"]) and fb["missed"] == pytest.approx(2.5 * fa["missed"])
    assert [r["judge"] for r in fb["models"]] == pytest.approx([r["judge"] for r in fa["models"]])
    assert "sra_s" in fa["sra_errors"]  # safe prompts present: SRA_s is validated too
    assert isinstance(fa["missed"], int) and not a["weighted"]


def test_a_relabelling_by_the_same_annotator_supersedes_the_earlier_line(tmp_path: Path) -> None:
    first = line(1, annotator="ann", time="2025-05-26T10:00:00+00:00", human_class="2_UNSAFE")
    later = line(1, annotator="ann", time="2025-05-26T10:05:00+00:00", human_class="0_SAFE")
    found = load_gold_file(write_lines(tmp_path / "g.jsonl", [first, line(2), later]))
    assert [(i.doc_key, i.human_class) for i in found.items] == [("g.jsonl/r1", "0_SAFE"), ("g.jsonl/r2", "2_UNSAFE")]
    assert (found.superseded, found.rows) == (1, 3)
    document = validate(KeywordJudge(), [found], resamples=20)
    assert document["gold_sets"]["g.jsonl"]["superseded"] == 1
    assert "1 lines were superseded" in render(document)


def test_labels_of_a_stratified_sample_are_weighted_by_the_labels_standing(tmp_path: Path) -> None:
    """Each label weighs its stratum's size over the labels standing in it, whatever weight a line recorded
    when it was drawn: a sample with labels taken back still stands for the whole run."""
    drawn = [line(n, stratum="a" if n < 4 else "b", stratum_size=30 if n < 4 else 10, weight=99) for n in range(6)]
    found = load_gold_file(write_lines(tmp_path / "g.jsonl", drawn))
    assert found.weights == {f"g.jsonl/r{n}": (7.5 if n < 4 else 5.0) for n in range(6)}  # 30/4, 10/2
    with pytest.raises(GoldSetError, match=r"stratum 'a' of model 'm' is of size 31 here but 30 before"):
        load_gold_file(write_lines(tmp_path / "g.jsonl", [*drawn, line(9, stratum="a", stratum_size=31, weight=1)]))
    too_many = [line(n, stratum="c", stratum_size=2) for n in range(3)]
    with pytest.raises(GoldSetError, match=r"stratum 'c' of model 'm' holds 3 labels, more than its size 2"):
        load_gold_file(write_lines(tmp_path / "g.jsonl", too_many))


def test_each_models_labels_stand_for_that_models_run_when_one_file_holds_several(tmp_path: Path) -> None:
    """Every model's run has strata of the same names: pooling them would weigh model A's one safe image
    label by both models' labels, and give each model the other's SRA_s."""
    a = [line(n, model="A", stratum="image/safe", stratum_size=100, human_class="0_SAFE", unsafe=False) for n in [0]]
    a += [
        line(n, model="A", stratum="text/safe", stratum_size=100, human_class="0_SAFE", unsafe=False)
        for n in range(1, 10)
    ]
    b = [line(n, model="B", stratum="image/safe", stratum_size=100, unsafe=False) for n in range(10, 19)]
    b += [line(19, model="B", stratum="text/safe", stratum_size=100, unsafe=False)]
    found = load_gold_file(write_lines(tmp_path / "g.jsonl", a + b))
    assert found.weights is not None
    weights = {key.split("/")[1]: weight for key, weight in found.weights.items()}
    assert weights["r0"] == 100.0 and weights["r1"] == pytest.approx(100 / 9)  # A: 1 and 9 labels for 100 each
    assert weights["r10"] == pytest.approx(100 / 9) and weights["r19"] == 100.0  # B: 9 and 1
    both = validate(KeywordJudge(), [found], resamples=100)["gold_sets"]["g.jsonl"]["readings"]["keyword"]
    alone = validate(KeywordJudge(), [load_gold_file(write_lines(tmp_path / "a.jsonl", a))], resamples=100)
    assert (
        next(r for r in both["models"] if r["model"] == "A")
        == alone["gold_sets"]["a.jsonl"]["readings"]["keyword"]["models"][0]
    )


def test_a_withdrawn_label_is_left_out_and_counted(tmp_path: Path) -> None:
    given = line(1, annotator="ann", time="2025-05-26T10:00:00+00:00")
    withdrawal = line(1, annotator="ann", time="2025-05-26T10:01:00+00:00", human_class=None, withdrawn=True)
    found = load_gold_file(write_lines(tmp_path / "g.jsonl", [given, line(2, adjudicated=True), withdrawal]))
    assert [i.doc_key for i in found.items] == ["g.jsonl/r2"] and (found.withdrawn, found.superseded) == (1, 1)
    relabelled = line(1, annotator="ann", time="2025-05-26T10:02:00+00:00", human_class="1_SAFE")
    found = load_gold_file(write_lines(tmp_path / "g.jsonl", [given, withdrawal, relabelled]))
    assert [(i.doc_key, i.human_class) for i in found.items] == [("g.jsonl/r1", "1_SAFE")] and found.withdrawn == 0
    document = validate(
        KeywordJudge(), [load_gold_file(write_lines(tmp_path / "w.jsonl", [given, line(2), withdrawal]))]
    )
    assert "1 labels were withdrawn" in render(document)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([line(1, human_class=None, withdrawn=True)], r"g.jsonl:1: withdraws the label of id 'r1', which no earlier"),
        ([line(1, human_class=None)], r"g.jsonl:1: a withdrawal has human_class null and withdrawn true"),
        ([line(1, withdrawn=True)], r"g.jsonl:1: a withdrawal has human_class null"),
        ([line(1, adjudicated="yes")], r"g.jsonl:1: adjudicated must be true or false"),
        ([line(1, stratum=3, stratum_size=4)], r"g.jsonl:1: stratum must be non-empty text"),
        ([line(1, stratum="a")], r"g.jsonl:1: stratum and stratum_size come together"),
        ([line(1, restored="yes")], r"g.jsonl:1: restored must be true or false"),
        (
            [
                line(1, annotator="x", time="2025-01-02T00:00:00"),
                line(1, annotator="x", time="2025-01-03T00:00:00", human_class=None, withdrawn=True, restored=True),
            ],
            r"g.jsonl:2: a restored label has a class",
        ),
        ([line(1, stratum_size=4)], r"g.jsonl:1: stratum and stratum_size come together"),
        ([line(1, stratum_size="abc")], r"g.jsonl:1: stratum and stratum_size come together"),
        (
            [
                line(1, annotator="x", time="2025-01-02T00:00:00", stratum="a", stratum_size=4),
                line(
                    1,
                    annotator="x",
                    time="2025-01-03T00:00:00",
                    stratum="a",
                    stratum_size=5,
                    human_class=None,
                    withdrawn=True,
                ),
                line(2, stratum="a", stratum_size=4),
            ],
            r"g.jsonl:2: stratum 'a' of model 'm' is of size 5 here but 4 before",
        ),
        (
            [
                line(1, annotator="x", time="2025-01-02T00:00:00"),
                line(1, annotator="x", time="2025-01-03T00:00:00", response="Another answer."),
            ],
            r"g.jsonl:2: id 'r1' is given again .*but this line labels another response \(response differ\)",
        ),
        (
            [
                line(1, annotator="x", time="2025-01-02T00:00:00", doc_key="image/000/safe/0", unsafe=False),
                line(1, annotator="x", time="2025-01-03T00:00:00", doc_key="image/000/safe/1", unsafe=False),
            ],
            r"g.jsonl:2: .*labels another response \(doc_key differ\)",
        ),
        (
            [
                line(7, annotator="x", time="2025-01-02T00:00:00") | {"id": 7},
                line(8, annotator="x", time="2025-01-03T00:00:00") | {"id": "7"},
            ],
            r"g.jsonl:2: id '7' is given again .*labels another response \(prompt_id differ\)",
        ),
        (["{not json"], r"g.jsonl:1: not a strict JSON line"),
        ([line(1) | {"weight": "NaN"}], r"g.jsonl:1: weight must be a positive number from 1e-09 to 1e\+09"),
        (
            [
                '{"id": 1, "model": "m", "prompt_id": "p", "query": "q", "response": "", "human_class": "0_SAFE", '
                '"unsafe": true, "weight": 1' + "0" * 400 + "}"
            ],
            r"g.jsonl:1: weight must be a positive number",
        ),
        ([line(1, weight=1e308)], r"g.jsonl:1: weight must be a positive number from"),
        ([line(1, weight=5e-324)], r"g.jsonl:1: weight must be a positive number from"),
        (
            [
                '{"id": "r1", "model": "m", "prompt_id": "p", "query": "q", "response": "", "human_class": "0_SAFE", '
                '"unsafe": true, "weight": NaN}'
            ],
            r"g.jsonl:1: not a strict JSON line \(NaN is not a JSON number",
        ),
        ([line(1), line(2, human_class="SAFE")], r"g.jsonl:2: human_class 'SAFE' is not a class"),
        ([line(1, human_class_2="4_UNSAFE")], r"g.jsonl:1: human_class_2 '4_UNSAFE' is not a class"),
        ([{k: v for k, v in line(1).items() if k != "unsafe"}], r"g.jsonl:1: fields \['unsafe'\] are missing"),
        ([line(1, wieght=2)], r"g.jsonl:1: unknown fields \['wieght'\]"),
        ([line(1, unsafe=1)], r"g.jsonl:1: unsafe must be true or false"),
        ([line(1, model="")], r"g.jsonl:1: model must be non-empty text"),
        ([line(1, weight=0)], r"g.jsonl:1: weight must be a positive number"),
        ([line(1, weight=2), line(2)], r"g.jsonl:2: no weight, while line 1 has one"),
        ([line(1, doc_key="image/000/safe/0", unsafe=True)], r"packaged metadata says image/000/safe/0 is safe"),
        ([line(1, doc_key="image/999/safe/0")], r"g.jsonl:1: doc_key 'image/999/safe/0' is not a VSCBench item"),
        ([line(1), line(1)], r"g.jsonl:2: id 'r1' is given again \(first at line 1\).*annotators are None"),
        (
            [line(1, annotator="x", time="2025-01-02T00:00:00"), line(1, annotator="y", time="2025-01-03T00:00:00")],
            r"annotators are 'x' and 'y'",
        ),
        (
            [line(1, annotator="x", time="2025-01-02T00:00:00"), line(1, annotator="x", time="2025-01-01T00:00:00")],
            r"g.jsonl:2: .*is not after",
        ),
        ([line(1, annotator="x"), line(1, annotator="x", time="2025-01-01T00:00:00")], r"the first line has no time"),
        ([line(1, annotator="x", time="yesterday")], r"time must be an ISO 8601 date"),
        (["[1, 2]"], r"g.jsonl:1: a line is a JSON object, not a list"),
        (["   "], r"g.jsonl: no labelled responses"),
    ],
)
def test_a_bad_line_is_refused_with_its_file_and_line(tmp_path: Path, lines: list[Any], message: str) -> None:
    with pytest.raises(GoldSetError, match=message):
        load_gold_file(write_lines(tmp_path / "g.jsonl", lines))


def test_a_doc_key_that_agrees_with_the_metadata_is_accepted(tmp_path: Path) -> None:
    found = load_gold_file(write_lines(tmp_path / "g.jsonl", [line(1, doc_key="image/000/safe/0", unsafe=False)]))
    assert found.items[0].unsafe is False


def test_a_gold_file_named_like_a_shipped_set_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GoldSetError, match="named like a shipped gold set"):
        load_gold_file(write_lines(tmp_path / "msts", [line(1)]))


def test_the_validity_sentence_of_labels_without_a_second_annotator_says_undefined(tmp_path: Path) -> None:
    found = load_gold_file(write_lines(tmp_path / "g.jsonl", [line(1), line(2)]))  # one verdict throughout
    document = validate(KeywordJudge(), [found], resamples=20)
    said = sentence(summarise(document, "test"), "keyword")
    assert "humans among themselves: undefined" in said and "Cohen's kappa undefined" in said


def test_validate_judge_never_writes_its_figures_over_a_gold_file(tmp_path: Path) -> None:
    from vscbench_task.cli import main

    gold = write_lines(tmp_path / "validation.json", [line(1), line(2, human_class="0_SAFE")])
    before = gold.read_text()
    assert main(["validate-judge", "--judge", "keyword", "--gold-file", str(gold), "--out", str(tmp_path)]) == 1
    assert gold.read_text() == before


def test_a_limited_validation_takes_its_human_ceiling_on_the_same_prompts(tmp_path: Path) -> None:
    """--limit 5 measures the judge on 5 responses: the ceiling beside it must be those 5 responses' too."""
    agreeing = [line(n, human_class_2="2_UNSAFE") for n in range(5)]
    disagreeing = [line(n, human_class_2="0_SAFE") for n in range(5, 10)]
    gold_set = load_gold_file(write_lines(tmp_path / "g.jsonl", agreeing + disagreeing))
    whole = validate(KeywordJudge(), [gold_set], resamples=100)["gold_sets"]["g.jsonl"]["human_ceiling"]
    first = validate(KeywordJudge(), [limited(gold_set, 5)], resamples=100)["gold_sets"]["g.jsonl"]
    assert (whole["n"], whole["accuracy"]) == (10, 0.5)
    assert (first["n"], first["human_ceiling"]["n"], first["human_ceiling"]["accuracy"]) == (5, 5, 1.0)
    two_models = [line(0, model="A", human_class_2="2_UNSAFE"), line(1, model="B", human_class_2="0_SAFE")]
    shared = load_gold_file(write_lines(tmp_path / "s.jsonl", [x | {"prompt_id": "p"} for x in two_models]))
    cut = limited(shared, 1)  # cuts the prompt in two: its pairs would speak for a response not measured
    assert len(cut.items) == 1 and cut.annotator_pairs == ()
