"""The interactive report page in a real headless chromium (``tests/support/browser.py``): opened from
disk and served over HTTP, the leaderboard is on the first screen and sorts, filters by name, switches
part and shows the chosen metrics; hovering a point of the calibration plane shows the model and its
figures, clicking it selects the model's row; hostile model names are shown as text and run nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import open_page, wait
from tests.support.logged_run import samples, write_run
from tests.support.synthetic_runs import Model, write_models
from vscbench_task import cli, inert

MODELS = 12


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> list[Model]:
    return write_models(tmp_path_factory.mktemp("runs"), MODELS)


@pytest.fixture(scope="module")
def page(models: list[Model], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("page") / "out"
    args = ["report", *(a for m in models for a in ("--responses", str(m.path))), "--out", str(out), "--html"]
    assert cli.main([*args, "--resamples", "200", "--no-cache"]) == 0
    return out


def rows(driver: Any) -> list[str]:
    """The model names of the leaderboard's visible rows, top to bottom."""
    script = "return [...document.querySelectorAll('#board tbody tr')].filter(r => !r.hidden)"
    return driver.execute_script(script + ".map(r => r.querySelector('td.name').textContent)")


def headers(driver: Any) -> list[str]:
    return driver.execute_script("return [...document.querySelectorAll('#board thead th')].map(t => t.dataset.key)")


def click(driver: Any, css: str) -> None:
    driver.find_element("css selector", css).click()


def test_the_leaderboard_is_on_the_first_screen_and_sorts_filters_and_switches(
    browser: Any, page: Path, models: list[Model]
) -> None:
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    open_page(browser, (page / "report.html").as_uri())
    by_rank = [m.name for m in sorted(models, key=lambda m: -m.overall)]
    assert rows(browser) == by_rank
    top = browser.execute_script("return document.querySelector('#board tbody tr').getBoundingClientRect().top")
    assert top < browser.execute_script("return window.innerHeight")  # the leaderboard starts on the first screen
    judge = browser.find_element("id", "judge").text
    assert judge.startswith("Judge: keyword judge") and browser.find_element("id", "validity").text.startswith(
        "Validity of the keyword judge"
    )

    click(browser, "th[data-key='name']")
    assert rows(browser) == sorted(by_rank, key=str.lower)
    click(browser, "th[data-key='name']")
    assert rows(browser) == sorted(by_rank, key=str.lower, reverse=True)
    click(browser, "th[data-key='overall']")  # a figure sorts best first
    assert rows(browser) == by_rank

    Select(browser.find_element("id", "part")).select_by_value("text")
    assert rows(browser) == [m.name for m in sorted(models, key=lambda m: -m.sra["text"]["mean"])]
    click(browser, "th[data-key='s']")
    assert rows(browser) == [m.name for m in sorted(models, key=lambda m: -m.sra["text"]["s"])]
    assert "s" in headers(browser)
    click(browser, "input[data-metric='s']")  # the metric filter: SRA_s hidden
    assert "s" not in headers(browser) and {"u", "mean"} <= set(headers(browser))
    cells = browser.execute_script(
        "return [...document.querySelectorAll('#board tbody tr:first-child td')].map(t => t.dataset.key)"
    )
    assert "s" not in cells

    target = models[3].name
    box = browser.find_element("id", "filter")
    box.send_keys(target[-3:])
    wait(browser, lambda d: rows(d) == [m.name for m in models if target[-3:] in m.name])
    assert browser.find_element("id", "count").text == f"{len(rows(browser))} of {MODELS} models"
    box.send_keys(Keys.CONTROL, "a", Keys.DELETE)  # clear() fires no input event
    wait(browser, lambda d: len(rows(d)) == MODELS)


def test_a_point_shows_its_model_and_figures_on_hover_and_selects_its_row_on_click(
    browser: Any, page: Path, models: list[Model]
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support import expected_conditions

    open_page(browser, (page / "report.html").as_uri())
    report = json.loads((page / "report.json").read_text())
    index = 5
    model, entry = models[index], report["models"][index]
    assert entry["name"] == model.name
    point = browser.find_element("id", f"pt-image-{index}")
    tip = browser.find_element("id", "tooltip")
    ActionChains(browser, duration=0).move_to_element(point).perform()
    wait(browser, expected_conditions.visibility_of(tip))
    sra = entry["parts"]["image"]["sra"]
    s, u = sra["sra_s_keyword_judge"], sra["sra_u_keyword_judge"]
    assert tip.text.splitlines() == [
        f"#{browser.execute_script(f'return DATA.models[{index}].number')} {model.name}",
        "image-centric",
        f"SRA_s {model.sra['image']['s']:.3f} [{s['low']:.3f}, {s['high']:.3f}]",
        f"SRA_u {model.sra['image']['u']:.3f} [{u['low']:.3f}, {u['high']:.3f}]",
    ]
    ActionChains(browser, duration=0).move_to_element(browser.find_element("tag name", "h1")).perform()
    wait(browser, expected_conditions.invisibility_of_element(tip))

    ActionChains(browser, duration=0).move_to_element(point).click().perform()
    wait(browser, lambda d: "selected" in d.find_element("id", f"row-{index}").get_attribute("class"))
    selected = browser.execute_script(
        "return [...document.querySelectorAll('#board tr.selected')].map(r => r.dataset.m)"
    )
    assert selected == [str(index)]
    assert "selected" in browser.find_element("id", f"pt-text-{index}").get_attribute("class")  # both planes
    click(browser, f"#row-{index + 1}")  # a row's click selects its points
    wait(browser, lambda d: "selected" in d.find_element("id", f"pt-image-{index + 1}").get_attribute("class"))
    assert "selected" not in point.get_attribute("class")


def test_the_page_served_over_http_works_the_same_and_logs_no_error(
    browser: Any, page: Path, http_server: tuple[str, Path, Any]
) -> None:
    url, folder, _ = http_server
    shutil.copy(page / "report.html", folder / "report.html")
    (folder / "favicon.ico").write_bytes(b"")
    browser.get_log("browser")  # drop what earlier pages logged
    open_page(browser, f"{url}/report.html")
    assert len(rows(browser)) == MODELS
    assert browser.execute_script("return document.querySelectorAll('circle.pt').length") == 2 * MODELS
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


HOSTILE = (
    "<img src=x onerror=window.pwned=1>",
    "</script><script>window.pwned=2</script>",
    "\u202eevil\u202c \" ' <!-- x",
)


def test_hostile_model_names_are_shown_as_text_and_run_nothing(browser: Any, tmp_path: Path) -> None:
    runs = []
    for i, name in enumerate(HOSTILE):
        results = {"config": {"model": "x", "model_args": f"pretrained={name}"}}
        texts = ["I cannot.", "Sure."] * (20 - i)
        write_run(tmp_path / f"run{i}", {"vscbench_image": samples("vscbench_image", texts)}, results)
        runs.append(str(tmp_path / f"run{i}"))
    out = tmp_path / "out"
    assert cli.main(["report", *runs, "--out", str(out), "--html", "--allow-partial", "--resamples", "100"]) == 0
    browser.get_log("browser")
    open_page(browser, (out / "report.html").as_uri())
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "part")).select_by_value("image")
    assert sorted(rows(browser)) == sorted(inert.distinct(list(HOSTILE)))  # as text, hidden characters shown
    assert browser.execute_script("return window.pwned") is None
    assert browser.execute_script("return document.querySelectorAll('#board img, #board script').length") == 0
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]] == []
