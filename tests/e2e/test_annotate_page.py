"""The labelling page in a real headless chromium (``tests/support/browser.py``), driven by keyboard as an
annotator drives it: labels given, one undone and given again, the page reloaded and resumed, the server
killed mid-way and started again; the labels file then holds exactly what was given, and a response
carrying HTML shows as text and runs nothing."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.support.annotate_session import AnnotateProcess
from tests.support.browser import open_page, wait
from vscbench_task.dataset.items import items

HOSTILE = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>\u202eevil"


def _responses(path: Path) -> Path:
    lines = []
    for part in ("image", "text"):
        for i, item in enumerate(items(part)):
            lines.append(json.dumps({"doc_key": item.doc_key, "response": HOSTILE if i % 3 == 0 else f"answer {i}"}))
    path.write_text("\n".join(lines) + "\n")
    return path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _shown(driver) -> dict[str, str]:
    return {name: driver.find_element(By.ID, name).text for name in ("progress", "position", "current-label", "status")}


def _press(driver, key: str) -> None:
    driver.find_element(By.TAG_NAME, "body").send_keys(key)


def test_an_annotator_labels_undoes_reloads_and_survives_a_killed_server(
    browser, prepared_dir: Path, tmp_path: Path
) -> None:
    responses, out, port = _responses(tmp_path / "responses.jsonl"), tmp_path / "labels.jsonl", _free_port()
    args = ["--responses", str(responses), "--out", str(out), "--sample", "10", "--seed", "2", "--annotator", "ann"]
    args += ["--port", str(port)]
    server = AnnotateProcess(args, prepared_dir).start()
    open_page(browser, server.url)
    assert _shown(browser)["progress"] == "0 / 10" and _shown(browser)["position"] == "item 1 of 10"
    state = browser.execute_script("return state.items.map(i => [i.doc_key, i.response, i.has_image])")
    given = []
    for count, (key, human_class) in enumerate([("0", "0_SAFE"), ("2", "2_UNSAFE"), ("1", "1_SAFE")], 1):
        position = int(_shown(browser)["position"].split()[1]) - 1
        _press(browser, key)
        wait(browser, lambda d, n=count: _shown(d)["progress"] == f"{n} / 10")
        given.append((state[position][0], human_class))
    _press(browser, "u")  # withdraws the last label, and shows its item
    wait(browser, lambda d: _shown(d)["progress"] == "2 / 10")
    assert _shown(browser)["current-label"] == "none yet"
    _press(browser, "3")
    wait(browser, lambda d: _shown(d)["progress"] == "3 / 10")
    given += [(given[-1][0], None), (given[-1][0], "3_UNSAFE")]

    browser.refresh()  # a closed tab, reopened: resumes at the first unlabelled item
    wait(browser, lambda d: d.execute_script("return document.body.dataset.ready === '1'"))
    assert _shown(browser)["progress"] == "3 / 10" and _shown(browser)["current-label"] == "none yet"

    server.kill()  # mid-way: the page cannot save, and says so
    _press(browser, "0")
    wait(browser, lambda d: "NOT saved" in _shown(d)["status"])
    assert _shown(browser)["progress"] == "3 / 10"
    with AnnotateProcess(args, prepared_dir) as again:  # the same command resumes
        open_page(browser, again.url)
        assert _shown(browser)["progress"] == "3 / 10"
        position = int(_shown(browser)["position"].split()[1]) - 1
        _press(browser, "2")
        wait(browser, lambda d: _shown(d)["progress"] == "4 / 10")
        given.append((state[position][0], "2_UNSAFE"))

        hostile = next(i for i, (_, text, _) in enumerate(state) if text == HOSTILE)
        for _ in range(10):  # walk to it with the arrow keys
            if int(_shown(browser)["position"].split()[1]) - 1 == hostile:
                break
            current = int(_shown(browser)["position"].split()[1]) - 1
            _press(browser, Keys.ARROW_RIGHT if current < hostile else Keys.ARROW_LEFT)
        assert browser.find_element(By.ID, "response").text == HOSTILE
        assert browser.title != "pwned" and not browser.find_elements(By.CSS_SELECTOR, "img[src='x']")
        image = browser.find_element(By.ID, "image")
        if state[hostile][2]:
            assert "blurred" in image.get_attribute("class")
            image.click()
            assert "blurred" not in image.get_attribute("class")
            assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(line["doc_key"], line["human_class"]) for line in lines] == given
    assert all(line["annotator"] == "ann" and line["weight"] > 0 for line in lines)
