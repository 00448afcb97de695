"""The vscbench_steer plugin's settings, as the plugin checks them and as a run's results file records them."""

from __future__ import annotations

import pytest

from vscbench_task.hosts.lmms_eval import steer_args


def test_lists_survive_lmms_eval_s_comma_split_in_either_spelling() -> None:
    assert steer_args.parse_layers("12;14") == steer_args.parse_layers("[12,14]") == (12, 14)
    assert steer_args.parse_layers(3) == (3,) and steer_args.parse_layers(None) is None
    assert steer_args.parse_heads("12:3;14:0") == ((12, 3), (14, 0))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"directions": "d.safetensors"}, "needs base=BACKEND"),
        ({"base": "qwen2_5_vl"}, "needs directions=FILE"),
        ({"base": "vscbench_steer", "directions": "d"}, "would steer itself"),
        ({"base": "qwen2_5_vl", "directions": "d", "alpha": "strong"}, "alpha='strong' is not a number"),
        ({"base": "qwen2_5_vl", "directions": "d", "alpha": "nan"}, "not a finite number"),
        ({"base": "qwen2_5_vl", "directions": "d", "level": "neuron"}, "choose layer .* or head"),
        ({"base": "qwen2_5_vl", "directions": "d", "layers": "-1"}, "'-1' is not a layer index"),
        ({"base": "qwen2_5_vl", "directions": "d", "heads": "3"}, "'3' is not LAYER:HEAD"),
    ],
)
def test_bad_settings_are_refused_saying_what_is_wrong(options: dict, message: str) -> None:
    with pytest.raises(steer_args.SteerSettingsError, match=message):
        steer_args.settings(**options)


def test_a_run_s_steering_is_read_back_from_its_model_args(tmp_path) -> None:
    directions = tmp_path / "d.safetensors"
    directions.write_bytes(b"x")
    config = {"model": "vscbench_steer", "model_args": f"base=llava_hf,pretrained=/m,directions={directions},alpha=2"}
    record = steer_args.method_record(config)
    assert record == {
        "name": "steer_layer",
        "base": "llava_hf",
        "directions": str(directions),
        "alpha": 2.0,
        "level": "layer",
        "layers": "file defaults",
        "directions_sha256": "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
    }
    assert steer_args.method_record({"model": "qwen2_5_vl", "model_args": "pretrained=/m"}) is None
    broken = steer_args.method_record({"model": "vscbench_steer", "model_args": "base=llava_hf,alpha=2"})
    assert broken is not None and broken["name"] == "steer" and "needs directions=FILE" in broken["unreadable"]
