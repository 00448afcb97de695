"""Session fixtures shared by the unit and end-to-end tests: a prepared stand-in data directory, the
tiny local models (each built once per session), and the loopback judge server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.judge_env import FAKE_KEY
from tests.support.stub_server import StubProcess
from vscbench_task.dataset import datadir
from vscbench_task.dataset.prepare import prepare
from vscbench_task.demo import standin_archive

if TYPE_CHECKING:
    from vscbench_task.demo.tiny_qwen_vl import Variant


@pytest.fixture(scope="session", autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The default data directory (``$VSCBENCH_DATA_DIR``, where the judge cache, saved validations and the
    report's results cache go by default) in a folder of the test session: no test writes into the home of
    whoever runs them. Subprocesses get the data directory their test names (``tests.support.lmms``)."""
    home = tmp_path_factory.mktemp("default-data-dir")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(datadir.ENV_VAR, str(home))
        yield home


@pytest.fixture(scope="session")
def standin_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An extracted stand-in of the authors' archive (all official file names, 16 px pictures)."""
    return standin_archive.build(tmp_path_factory.mktemp("standin") / "extracted", size=16, as_zip=False)


@pytest.fixture(scope="session")
def prepared_dir(standin_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory prepared from the stand-in by the real ``prepare``."""
    data_dir = tmp_path_factory.mktemp("prepared") / "data"
    prepare(standin_folder, data_dir)
    datadir.require_prepared(data_dir)
    return data_dir


class TinyModels:
    """Tiny random models saved with ``save_pretrained``, built on first use and kept for the session.

    The builders import torch and transformers, which take seconds: only the tests that need a model pay.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._built: dict[tuple[str, int], Path] = {}

    def qwen(self, variant: Variant = "qwen2_5_vl", seed: int = 0) -> Path:
        from vscbench_task.demo import tiny_qwen_vl

        if (variant, seed) not in self._built:
            folder = self.root / f"{variant}-seed{seed}"
            self._built[(variant, seed)] = tiny_qwen_vl.build(folder, seed=seed, variant=variant)
        return self._built[(variant, seed)]

    def llava(self) -> Path:
        from tests.support import tiny_llava

        if ("llava", 0) not in self._built:
            self._built[("llava", 0)] = tiny_llava.build(self.root / "llava")
        return self._built[("llava", 0)]


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    return TinyModels(tmp_path_factory.mktemp("models"))


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[StubProcess]:
    """The loopback OpenAI-compatible judge server, requiring the tests' fake key."""
    with StubProcess(tmp_path / "calls.jsonl", hang=4.0, api_key=FAKE_KEY) as server:
        yield server
