"""Specs declare each option once: checked on construction, one CLI flag each, read and written as spec.json."""

from __future__ import annotations

import argparse
import json

import pytest

from rmstudio import cli
from rmstudio.errors import BadInput
from rmstudio.labeling.generation import GenerateSpec
from rmstudio.training.presets import PRESET_NAMES, PRESETS
from rmstudio.training.spec import TrainSpec
from rmstudio.training.spec_fields import options

CONTRACT_FLAGS = ("--data", "--model", "--preset", "--epochs", "--learning-rate", "--batch-size", "--max-length",
                  "--eval-fraction", "--lora", "--output", "--max-steps", "--home", "--no-progress")


def train_parser() -> argparse.ArgumentParser:
    sub = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["train"]


@pytest.mark.parametrize("field,value", [("device", "gpu"), ("model", " "), ("seed", "x"), ("lora_alpha", 0)])
def test_bad_values_are_refused_on_construction(field, value):
    with pytest.raises(BadInput) as err:
        TrainSpec(**{field: value})
    assert err.value.field == field


def test_values_are_coerced_on_construction_and_checked_again_by_validate():
    spec = TrainSpec(epochs="2", batch_size=4.0, learning_rate="1e-4")
    assert (spec.epochs, spec.batch_size, spec.learning_rate) == (2.0, 4, 1e-4) and isinstance(spec.batch_size, int)
    spec.batch_size = 0  # fields may change after construction (the form caps max_pairs, jobs fill in home)
    with pytest.raises(BadInput, match="batch_size must be ≥ 1"):
        spec.validate()


def test_generate_spec_rejects_unknown_keys_and_round_trips(tmp_path):
    with pytest.raises(BadInput, match="unknown generation option.*temprature") as err:
        GenerateSpec.from_dict({"model": "m", "prompts": ["hi"], "temprature": 0.5})
    assert err.value.field == "temprature"
    spec = GenerateSpec(model="m", prompts=["héllo", [{"role": "user", "content": "hi"}]], temperature="0.5")
    spec.to_json(tmp_path / "spec.json")
    assert GenerateSpec.from_json(tmp_path / "spec.json") == spec and spec.temperature == 0.5


def test_to_json_replaces_the_file_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "spec.json"
    TrainSpec(model="old").to_json(path)
    before = path.read_text()
    with pytest.raises(TypeError):  # a value JSON cannot hold: nothing is written
        GenerateSpec(model="m", prompts=[object()]).to_json(path)

    def interrupted(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("rmstudio.training.spec_fields.os.replace", interrupted)
    with pytest.raises(OSError, match="disk full"):
        TrainSpec(model="new").to_json(path)
    assert path.read_text() == before and sorted(p.name for p in tmp_path.iterdir()) == ["spec.json"]


def test_preset_names_are_auto_and_the_presets():
    (preset,) = [declared for declared in options(TrainSpec) if declared.name == "preset"]
    assert PRESET_NAMES == ("auto", *PRESETS) == preset.choices


# --- the train command's flags are generated from the options ---------------------------------------------
def test_every_option_has_exactly_one_train_flag_and_the_contract_flags_exist():
    actions = [a for a in train_parser()._actions if a.option_strings]
    for declared in options(TrainSpec):
        (action,) = [a for a in actions if a.dest == declared.name]
        assert action.option_strings[0] == declared.flag and declared.help in action.help
    flags = {flag for action in actions for flag in action.option_strings}
    assert set(CONTRACT_FLAGS) <= flags


def test_flags_left_out_leave_the_spec_defaults_and_given_ones_are_typed():
    args = train_parser().parse_args(["--epochs", "2", "--batch-size", "4", "--lora", "--no-bf16"])
    spec = TrainSpec.from_dict(cli.spec_arguments(args, TrainSpec))
    assert (spec.epochs, spec.batch_size, spec.lora, spec.bf16) == (2.0, 4, True, False)
    assert spec.learning_rate is None and spec.eval_fraction == 0.1 and spec.preset == "auto"
    assert cli.spec_arguments(train_parser().parse_args([]), TrainSpec) == {}


@pytest.mark.parametrize("flag, text, field, value", [
    ("--epochs", "0", "epochs", 0), ("--batch-size", "2.5", "batch_size", 2.5),
    ("--learning-rate", "fast", "learning_rate", "fast"), ("--preset", "huge", "preset", "huge"),
    ("--lr-scheduler", "zigzag", "lr_scheduler", "zigzag"), ("--max-length", "4", "max_length", 4),
])
def test_a_bad_flag_gets_the_same_message_as_the_spec(tmp_path, capsys, flag, text, field, value):
    with pytest.raises(BadInput) as err:
        TrainSpec(**{field: value})
    assert cli.main(["train", flag, text, "--home", str(tmp_path)]) == cli.EXIT_BAD_INPUT
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["error"] == str(err.value)
