"""Steering directions: the fitted vectors are the unsafe-minus-safe mean differences, the defaults follow
the documented rules, and a file is refused for another model, for layers or heads it lacks, or when it is
not a direction file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from vscbench_task.calibration.steering import directions as d
from vscbench_task.calibration.steering.hooks import ModelShape

SHAPE = ModelShape("ToyForConditionalGeneration", num_layers=4, hidden_size=6, num_heads=3, head_dim=2)


def _fitted(seed: int = 0) -> tuple[d.Directions, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    residual = rng.normal(size=(10, 4, 6))
    heads = rng.normal(size=(10, 4, 6))
    unsafe = np.array([True, False] * 5)
    heads[unsafe, 2, 2:4] += 5.0  # head 2:1 separates the classes far better than any other
    fitted = d.fit(
        "toy/model", SHAPE, torch.tensor(residual), torch.tensor(heads), torch.tensor(unsafe), {"split": "x"}
    )
    return fitted, residual, heads, unsafe


def test_each_direction_is_the_mean_unsafe_activation_minus_the_mean_safe_one() -> None:
    fitted, residual, heads, unsafe = _fitted()
    for layer in range(4):
        expected = residual[unsafe, layer].mean(0) - residual[~unsafe, layer].mean(0)
        np.testing.assert_allclose(fitted.layers[layer].numpy(), expected, rtol=1e-6)
        for head in range(3):
            cols = heads[:, layer, 2 * head : 2 * head + 2]
            np.testing.assert_allclose(
                fitted.heads[(layer, head)].numpy(), cols[unsafe].mean(0) - cols[~unsafe].mean(0), rtol=1e-6
            )
    assert fitted.info["inputs"] == {"unsafe": 5, "safe": 5} and fitted.info["split"] == "x"


def test_the_defaults_are_the_middle_layer_and_the_best_separating_heads() -> None:
    fitted, *_ = _fitted()
    assert fitted.default_layers == (2,)
    assert (2, 1) in fitted.default_heads and len(fitted.default_heads) == d.DEFAULT_HEADS
    best = max(fitted.info["head_separation"], key=fitted.info["head_separation"].get)
    assert best == "2:1"


def test_separation_is_the_gap_of_the_projected_means_over_their_pooled_spread() -> None:
    unsafe = torch.tensor([[1.0, 0.0], [3.0, 0.0]])
    safe = torch.tensor([[-1.0, 5.0], [-3.0, -5.0]])
    # projections on (1, 0): unsafe 1, 3 (mean 2, var 1); safe -1, -3 (mean -2, var 1): gap 4 over spread 1
    assert d.separation(unsafe, safe, torch.tensor([2.0, 0.0])) == pytest.approx(4.0)


def test_a_saved_file_loads_back_the_same_directions(tmp_path: Path) -> None:
    fitted, *_ = _fitted()
    d.save(fitted, tmp_path / "dir.safetensors")
    loaded = d.load(tmp_path / "dir.safetensors")
    assert loaded.model == "toy/model" and loaded.shape == SHAPE and loaded.info == fitted.info
    assert loaded.default_layers == fitted.default_layers and loaded.default_heads == fitted.default_heads
    assert all(torch.equal(loaded.layers[k], v) for k, v in fitted.layers.items())
    assert all(torch.equal(loaded.heads[k], v) for k, v in fitted.heads.items())


def test_a_file_that_is_not_a_direction_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(d.DirectionsError, match="not a readable direction file"):
        d.load(tmp_path / "config.json")
    from safetensors.torch import save_file

    save_file({"layer.0": torch.zeros(6)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(d.DirectionsError, match="not a direction file written by `vscbench steer fit`"):
        d.load(tmp_path / "other.safetensors")


def test_a_file_fitted_on_another_model_or_architecture_is_refused_naming_both(tmp_path: Path) -> None:
    fitted, *_ = _fitted()
    path = tmp_path / "dir.safetensors"
    d.check_model(fitted, path, "toy/model", SHAPE)
    with pytest.raises(d.DirectionsError, match=r"fitted on toy/model .* but this run loads other/model"):
        d.check_model(fitted, path, "other/model", SHAPE)
    wider = ModelShape(SHAPE.model_class, 4, 8, 4, 2)
    with pytest.raises(d.DirectionsError, match=r"hidden size 6.*hidden size 8"):
        d.check_model(fitted, path, "toy/model", wider)


def test_the_same_model_folder_named_two_ways_is_the_same_model(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    assert d.same_model(str(tmp_path / "m"), str(tmp_path / "m" / ".." / "m"))
    assert not d.same_model(str(tmp_path / "m"), "m")


def test_layers_and_heads_the_model_lacks_are_refused_by_name(tmp_path: Path) -> None:
    fitted, *_ = _fitted()
    path = tmp_path / "dir.safetensors"
    assert set(d.select(fitted, path, "layer", None, None)[0]) == {2}
    assert set(d.select(fitted, path, "head", None, ((1, 2),))[1]) == {(1, 2)}
    with pytest.raises(d.DirectionsError, match=r"layer 4 does not exist: .* has layers 0 to 3"):
        d.select(fitted, path, "layer", (1, 4), None)
    with pytest.raises(d.DirectionsError, match=r"head 1:3 does not exist: .* heads 0 to 2 in each"):
        d.select(fitted, path, "head", None, ((1, 3),))
