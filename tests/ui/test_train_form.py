"""The Train tab's form -> TrainSpec: only changed hyperparameters become overrides; demo mode caps the size."""

from __future__ import annotations

import pytest

from rmstudio import settings
from rmstudio.errors import BadInput
from rmstudio.ui import train_form

SHOWN = {"epochs": 1, "learning_rate": 1e-4, "batch_size": 16, "gradient_accumulation_steps": 1,
         "warmup_ratio": 0.1, "weight_decay": 0.0, "lr_scheduler": "linear", "max_length": 512,
         "eval_fraction": 0.1, "max_pairs": None, "seed": 42, "max_steps": None, "logging_steps": None,
         "eval_steps": None, "center_rewards_coefficient": None, "lora": False, "lora_r": 16, "lora_alpha": 32,
         "lora_dropout": 0.05}


def form(**changes) -> dict:
    # What the page sends back: number boxes show "not set" as 0.
    values = {name: (0 if value is None else value) for name, value in SHOWN.items()}
    values.update(data_source=train_form.DATA_DEMO, data_file=None, model_source=train_form.MODEL_DEFAULT,
                  model_text="", preset="auto")
    values.update(changes)
    return values


def test_unchanged_fields_leave_the_preset_in_charge(tmp_path):
    spec = train_form.spec_from_form(tmp_path, form(), SHOWN)
    assert spec.model == "default" and spec.preset == "auto"
    assert spec.learning_rate is None and spec.batch_size is None and spec.max_steps is None
    assert spec.data.endswith("labeled_pairs.jsonl") and (tmp_path / "demo" / "labeled_pairs.jsonl").exists()


def test_changed_fields_are_sent_with_their_types(tmp_path):
    spec = train_form.spec_from_form(tmp_path, form(batch_size=4.0, max_steps=12, learning_rate=3e-5,
                                                    lr_scheduler="cosine", lora=True), SHOWN)
    assert (spec.batch_size, spec.max_steps, spec.learning_rate, spec.lr_scheduler, spec.lora) == \
        (4, 12, 3e-5, "cosine", True)
    assert isinstance(spec.batch_size, int)


def test_before_the_preset_is_shown_zeros_mean_not_set(tmp_path):
    values = {name: 0 for name in SHOWN} | form(max_steps=5)
    values.update({name: 0 for name in SHOWN if name != "max_steps"}, lr_scheduler=None, lora=False)
    spec = train_form.spec_from_form(tmp_path, values, {})
    assert spec.max_steps == 5 and spec.learning_rate is None and spec.eval_fraction == 0.1


def test_backbone_and_data_choices_are_checked(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        train_form.spec_from_form(tmp_path, form(model_source=train_form.MODEL_PATH, model_text="/no/model"), SHOWN)
    with pytest.raises(BadInput, match="Hub id"):
        train_form.spec_from_form(tmp_path, form(model_source=train_form.MODEL_HUB, model_text=" "), SHOWN)
    with pytest.raises(BadInput, match="upload"):
        train_form.spec_from_form(tmp_path, form(data_source=train_form.DATA_FILE), SHOWN)
    spec = train_form.spec_from_form(tmp_path, form(data_source=train_form.DATA_STORE, model_source=train_form.MODEL_HUB,
                                                    model_text="Qwen/Qwen2.5-0.5B-Instruct"), SHOWN)
    assert spec.data is None and spec.model == "Qwen/Qwen2.5-0.5B-Instruct"


def test_demo_mode_caps_the_pairs(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.ENV_DEMO_MODE, "1")
    cap = train_form.demo_cap()
    assert train_form.spec_from_form(tmp_path, form(), SHOWN).max_pairs == cap
    assert train_form.spec_from_form(tmp_path, form(max_pairs=cap * 10), SHOWN).max_pairs == cap
    assert train_form.spec_from_form(tmp_path, form(max_pairs=50), SHOWN).max_pairs == 50
    assert f"at most {cap} pairs" in train_form.demo_note()


def test_the_advanced_panel_has_one_labeled_component_per_form_option(monkeypatch, tmp_path):
    import gradio as gr

    from rmstudio.training.spec import TrainSpec
    from rmstudio.training.spec_fields import options
    from tests.helpers.studio import make_ctx

    monkeypatch.setattr(train_form, "_warm_presets", lambda: None)
    with gr.Blocks():
        form = train_form.build_form(make_ctx(tmp_path))
    shown = [declared for declared in options(TrainSpec) if declared.label]
    assert list(train_form.HYPERPARAMETERS) == [declared.name for declared in shown] and set(SHOWN) == set(
        train_form.HYPERPARAMETERS)
    for declared in shown:
        component = form.fields[declared.name]
        assert (component.label, component.elem_id) == (declared.label, f"train-{declared.name}")
        assert declared.help in component.info
        assert type(component) is {"checkbox": gr.Checkbox, "dropdown": gr.Dropdown, "number": gr.Number}[declared.widget]
    assert form.fields["lr_scheduler"].choices == [(n, n) for n in train_form.HYPERPARAMETERS["lr_scheduler"].choices]
    assert train_form.ZERO_IS_AUTOMATIC == {"max_steps", "max_pairs", "logging_steps", "eval_steps",
                                            "center_rewards_coefficient"}


def test_a_bad_form_value_is_the_spec_s_bad_input(tmp_path):
    with pytest.raises(BadInput, match="batch_size must be ≥ 1") as err:
        train_form.spec_from_form(tmp_path, form(batch_size=-3), SHOWN)
    assert err.value.field == "batch_size"


def test_opening_the_train_tab_sees_pairs_imported_after_the_page_loaded(tmp_path):
    from tests.helpers.studio import make_ctx

    ctx = make_ctx(tmp_path)  # unlabeled pairs only
    source, _, note = train_form.initial_data(ctx)
    assert source == train_form.DATA_DEMO and "no labeled pairs yet" in note
    ctx.store.add_candidates([{"prompt": f"p{i}", "chosen": "good", "rejected": f"bad {i}"} for i in range(5)])
    source, _, note, chosen_by_page = train_form.data_on_open(ctx, train_form.DATA_DEMO, True)
    assert source == train_form.DATA_STORE and "**5** labeled pairs" in note and chosen_by_page
    kept = train_form.data_on_open(ctx, train_form.DATA_DEMO, False)  # the user picked the demo pairs: kept
    assert "About 400 generated pairs" in kept[2] and kept[3] is False
