"""The fixed calibration split: whole rows, every stratum, nothing shared with the evaluation split."""

from __future__ import annotations

import unicodedata
from collections import Counter

from vscbench_task.calibration import split
from vscbench_task.dataset import metadata as md
from vscbench_task.dataset.items import items, xstest_types


def _prompts(part: str, row: md.Row) -> set[str]:
    fields = ("Prompt",) if part == "image" else ("prompt_origin", "prompt_mm", "prompt_figstep")
    found = {" ".join(unicodedata.normalize("NFKC", row[f] or "").casefold().split()) for f in fields}
    return found - {""}


def _files(part: str, row: md.Row) -> set[str]:
    if part == "image":
        return {row[f"{kind}_img_{k}"] for kind in ("safe", "unsafe") for k in range(3)}
    return {row[md.VARIANT_COLUMN[v]] for v in md.IMAGE_VARIANTS}


def test_the_calibration_split_holds_two_whole_rows_of_every_category_and_xstest_type() -> None:
    image = [md.image_rows()[r] for r in split.calibration_rows("image")]
    text = [md.text_rows()[r] for r in split.calibration_rows("text")]
    assert Counter(r["Category"] for r in image) == dict.fromkeys(md.CATEGORIES, 2)
    assert Counter(r["type"] for r in text) == dict.fromkeys(xstest_types(), 2)
    for part, per_row in (("image", 6), ("text", 5)):
        chosen = split.split_items(part, split.CALIBRATION)
        assert Counter(item.row for item in chosen) == dict.fromkeys(split.calibration_rows(part), per_row)
    image_items = split.split_items("image", split.CALIBRATION)
    assert sum(i.unsafe for i in image_items) == sum(not i.unsafe for i in image_items) == 36


def test_evaluation_and_calibration_split_every_item_once_in_the_benchmark_order() -> None:
    for part in ("image", "text"):
        evaluation = split.split_items(part, split.EVALUATION)
        calibration = split.split_items(part, split.CALIBRATION)
        assert {i.doc_key for i in evaluation}.isdisjoint(i.doc_key for i in calibration)
        assert len(evaluation) + len(calibration) == len(items(part))
        order = [i.doc_key for i in items(part)]
        assert [i.doc_key for i in evaluation] == [k for k in order if k in {i.doc_key for i in evaluation}]
    assert split.split_sizes() == {
        "image": {"full": 1800, "evaluation": 1728, "calibration": 72},
        "text": {"full": 2250, "evaluation": 2070, "calibration": 180},
    }


def test_no_calibration_row_shares_a_prompt_or_an_image_file_with_an_evaluation_row() -> None:
    for part, rows in (("image", md.image_rows()), ("text", md.text_rows())):
        chosen = split.calibration_rows(part)
        calibration_prompts = set().union(*(_prompts(part, rows[r]) for r in chosen))
        calibration_files = set().union(*(_files(part, rows[r]) for r in chosen))
        for row in rows:
            if row["row"] in chosen:
                continue
            assert not _prompts(part, row) & calibration_prompts, row["row"]
            assert not _files(part, row) & calibration_files, row["row"]


def test_rows_sharing_a_prompt_or_the_known_search_images_are_one_group() -> None:
    groups = split.groups("text")
    assert groups[128] == groups[189] == {128, 189}  # the same file, d_189_4.png
    assert {190, 191} <= groups[190] and {439, 438} <= groups[439]  # named for rows 191 and 438
    repeated = Counter(" ".join((r["Prompt"] or "").casefold().split()) for r in md.image_rows())
    image_groups = split.groups("image")
    for row in md.image_rows():
        text = " ".join((row["Prompt"] or "").casefold().split())
        if text and repeated[text] > 1:
            assert len(image_groups[row["row"]]) >= repeated[text], row["row"]


def test_rows_with_an_empty_prompt_and_grouped_rows_are_never_calibration_rows() -> None:
    assert not {266, 285} & split.calibration_rows("image")
    for part in ("image", "text"):
        assert all(len(split.groups(part)[r]) == 1 for r in split.calibration_rows(part))


def test_a_set_of_items_is_complete_for_the_split_it_covers() -> None:
    evaluation = [i.doc_key for i in split.split_items("image", split.EVALUATION)]
    assert split.split_covered("image", evaluation) == "evaluation"
    assert split.split_covered("image", [i.doc_key for i in items("image")]) == "full"
    assert split.split_covered("image", evaluation[:-1]) is None
