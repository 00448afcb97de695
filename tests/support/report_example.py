"""The example in ``docs/report-example/``: the figures of a 60-model report and a screenshot of its page.

Sixty synthetic models (``tests.support.synthetic_runs``: known figures, a strict ranking) are reported
with the keyword judge; the three PNG figures are copied (as 256-colour PNGs, to keep the files small),
and the first screen of ``report.html`` in headless chromium, then its calibration planes with a point
hovered, are saved as screenshots. Needs chromium and chromedriver (``tests/support/browser.py``).

    python -m tests.support.report_example docs/report-example
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from tests.support.browser import ARGUMENTS, CHROMEDRIVER, CHROMIUM
from tests.support.synthetic_runs import write_models
from vscbench_task import cli

MODELS = 60
FIGURES = ("calibration.png", "categories.png", "variants.png")


def small_png(source: Path, target: Path) -> None:
    """``source`` as a 256-colour PNG (the figures use few colours; text stays sharp)."""
    with Image.open(source) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)


def screenshots(page: Path, folder: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains

    options = webdriver.ChromeOptions()
    options.binary_location = next(p for p in CHROMIUM if Path(p).exists())
    for argument in ARGUMENTS:
        options.add_argument(argument)
    driver_path = next(p for p in CHROMEDRIVER if Path(p).exists())
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.get(page.as_uri())
        while driver.execute_script("return document.body.dataset.ready") != "1":
            time.sleep(0.05)
        driver.save_screenshot(str(folder / "page-raw.png"))
        driver.execute_script("document.getElementById('plane').scrollIntoView()")
        ActionChains(driver, duration=0).move_to_element(driver.find_element("id", "pt-image-7")).perform()
        driver.save_screenshot(str(folder / "page-plane-raw.png"))
    finally:
        driver.quit()
    for name in ("page", "page-plane"):
        small_png(folder / f"{name}-raw.png", folder / f"{name}.png")
        (folder / f"{name}-raw.png").unlink()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    target = Path(argv[0])
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        models = write_models(work / "runs", MODELS)
        out = work / "report"
        args = ["report", *(a for m in models for a in ("--responses", str(m.path))), "--out", str(out), "--html"]
        assert cli.main([*args, "--no-cache"]) == 0
        for name in FIGURES:
            small_png(out / name, target / name)
        screenshots(out / "report.html", target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
