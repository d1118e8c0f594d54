"""The Train tab's form: data, backbone, preset and every hyperparameter, and its translation to a TrainSpec.

The Advanced fields show the values the chosen preset would use; only fields the user changed are sent
as overrides, so the worker still resolves the preset (e.g. "auto" by model size) itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr

from rmstudio import settings
from rmstudio.access import ADMIN, ANYONE
from rmstudio.errors import BadInput
from rmstudio.training.presets import PRESET_NAMES
from rmstudio.training.spec import TrainSpec
from rmstudio.training.spec_fields import Option, options

DATA_STORE = "Labeled pairs in the store"
DATA_DEMO = "Built-in demo pairs"
DATA_FILE = "Upload a file"
MODEL_DEFAULT = "Embedded default (MiniLM)"
MODEL_PATH = "Local path"
MODEL_HUB = "Hugging Face Hub id"
UPLOAD_TYPES = [".json", ".jsonl", ".csv", ".parquet"]

# The Advanced panel: every TrainSpec option declared with a form label, in field order, under its group.
# Shown values come from the preset (and TrainSpec's defaults for fields a preset does not set); empty = automatic.
HYPERPARAMETERS = {declared.name: declared for declared in options(TrainSpec) if declared.label}
# Fields where empty means "automatic"; a number box shows empty as 0, so 0 means automatic too.
ZERO_IS_AUTOMATIC = {name for name, declared in HYPERPARAMETERS.items() if declared.zero_means}


@dataclass
class Form:
    """The form's components by field name (the order of `inputs` is the order handlers receive)."""

    fields: dict = field(default_factory=dict)
    preset_values: object = None  # gr.State: what the Advanced fields were filled with
    fill: object = None  # (fn, inputs, outputs) filling the Advanced fields from the preset; run on page load

    @property
    def inputs(self) -> list:
        return [*self.fields.values(), self.preset_values]


def demo_note() -> str:
    cap = demo_cap()
    return (f"**Demo mode:** training uses at most {cap} pairs so this shared CPU stays responsive. "
            "Run rmstudio on your own machine for full-size training.")


def demo_cap() -> int:
    from rmstudio.training import trainer as training

    return int(training.DEMO_MAX_PAIRS)


def preset_values(preset: str, model: str) -> dict:
    """The hyperparameters `preset` gives `model` (BadInput when the model cannot be inspected)."""
    from rmstudio.training import trainer as training

    defaults = {name: declared.default for name, declared in HYPERPARAMETERS.items()}
    return {**defaults, **training.preset_values(preset, model)}


def build_form(ctx) -> Form:
    """Create the form's components (inside the current layout) and wire their show/hide and preset events."""
    form = Form()
    f = form.fields
    with gr.Row():
        with gr.Column(scale=1):
            f["data_source"] = gr.Radio([DATA_STORE, DATA_DEMO, DATA_FILE], value=DATA_STORE, label="Training data",
                                        elem_id="train-data-source")
            f["data_file"] = gr.File(label="Preference file (json, jsonl, csv, parquet; any supported schema)",
                                     file_types=UPLOAD_TYPES, visible=False, elem_id="train-data-file")
            data_note = gr.Markdown("", elem_id="train-data-note")
        with gr.Column(scale=1):
            f["model_source"] = gr.Radio([MODEL_DEFAULT, MODEL_PATH, MODEL_HUB], value=MODEL_DEFAULT,
                                         label="Backbone", elem_id="train-model-source")
            f["model_text"] = gr.Textbox(label="Model path or Hub id", visible=False, elem_id="train-model-text",
                                         placeholder="/path/to/model or Qwen/Qwen2.5-0.5B-Instruct")
            f["preset"] = gr.Dropdown(list(PRESET_NAMES), value="auto", label="Preset", elem_id="train-preset",
                                      info="auto picks learning rate, batch size and epochs by model size")
    with gr.Accordion("Advanced: every hyperparameter (filled from the preset)", open=False,
                      elem_id="train-advanced"):
        for group, members in _groups().items():
            gr.Markdown(f"**{group}**")
            with gr.Row():
                for declared in members:
                    f[declared.name] = _field(declared)
        preset_note = gr.Markdown("")
    form.preset_values = gr.State({})

    hyper = [f[name] for name in HYPERPARAMETERS]

    @ctx.allows(ADMIN, "see preset values", visitors="train", quietly=True)
    def show_preset(preset, model_source, model_text, request: gr.Request = None):
        if model_source != MODEL_DEFAULT and not ctx.permits(request, "models"):  # would load it by path/Hub id
            return [gr.skip()] * len(hyper) + [{}, "Only admins may read a model given by path or Hub id."]
        try:
            values = preset_values(preset, model_of(model_source, model_text))
        except BadInput as exc:
            return [gr.skip()] * len(hyper) + [{}, f"Preset values unknown until the model loads: {exc}"]
        except Exception as exc:  # noqa: BLE001 - keep the page usable whatever the model is
            return [gr.skip()] * len(hyper) + [{}, f"Could not read the model: {exc}"]
        shown = [_shown(values.get(name), declared) for name, declared in HYPERPARAMETERS.items()]
        return [*shown, dict(zip(HYPERPARAMETERS, shown, strict=True)), ""]

    @ctx.allows(ADMIN, "see the training data", visitors="train", quietly=True)
    def describe_data(source):
        return (gr.update(visible=source == DATA_FILE), data_summary(ctx, source), False)  # the user chose

    preset_inputs = [f["preset"], f["model_source"], f["model_text"]]
    quiet = {"show_progress": "hidden", "api_visibility": "private"}
    gr.on([f["preset"].change, f["model_source"].change, f["model_text"].submit, f["model_text"].blur],
          show_preset, inputs=preset_inputs, outputs=[*hyper, form.preset_values, preset_note], **quiet)
    f["model_source"].change(ctx.allows(ANYONE)(lambda s: gr.update(visible=s != MODEL_DEFAULT)), f["model_source"], f["model_text"],
                             **quiet)
    chosen_by_page = gr.State(True)  # the data choice is the page's own (not the user's) until they pick one
    f["data_source"].input(describe_data, f["data_source"], [f["data_file"], data_note, chosen_by_page], **quiet)
    form.fill = (show_preset, preset_inputs, [*hyper, form.preset_values, preset_note])
    data_outputs = [f["data_source"], f["data_file"], data_note, chosen_by_page]
    on_load(ctx, ctx.allows(ADMIN, "see the training data", visitors="train", quietly=True)(
        lambda: (*initial_data(ctx), True)), inputs=[], outputs=data_outputs)
    train_tab = ctx.tab_blocks.get("train")
    if train_tab is not None:  # labels imported or made since the page loaded count when the tab is opened
        train_tab.select(ctx.allows(ADMIN, "see the training data", visitors="train", quietly=True)(
            lambda source, auto: data_on_open(ctx, source, auto)), [f["data_source"], chosen_by_page],
            data_outputs, concurrency_limit=None, **quiet)
    _warm_presets()
    return form


def _warm_presets() -> None:
    """Read the default backbone's size in the background at start-up, so the first page load fills the
    form in milliseconds. (transformers itself is imported before this, in the main thread: see
    `models.import_model_libraries`.)"""
    import threading

    def warm():
        try:
            preset_values("auto", "default")
        except Exception:  # noqa: BLE001 - only a warm-up; the page reports real errors
            pass

    threading.Thread(target=warm, name="rmstudio-preset-warmup", daemon=True).start()


def initial_data(ctx) -> tuple:
    """The store's labels when there are any, else the demo pairs: a new user's first click trains something."""
    if _store_pairs(ctx):
        return DATA_STORE, gr.update(visible=False), data_summary(ctx, DATA_STORE)
    note = ("The store has no labeled pairs yet (label some in **Label**, or import a file in **Data**), so the "
            "built-in demo pairs are selected. " + data_summary(ctx, DATA_DEMO))
    return DATA_DEMO, gr.update(visible=False), note


def data_on_open(ctx, source: str, chosen_by_page: bool) -> tuple:
    """Opening the Train tab: the page's own data choice is made again from the store as it is now (the
    page may have loaded before pairs were imported or labeled); a choice the user made stays, its note
    redrawn. -> (data source, file box, note, chosen by page)."""
    if chosen_by_page:
        return (*initial_data(ctx), True)
    return gr.skip(), gr.skip(), data_summary(ctx, source), False


def _store_pairs(ctx) -> int:
    try:
        return int(ctx.store.stats().get("training_pairs", 0))
    except Exception:  # noqa: BLE001 - a summary line must never break the page
        return 0


def _groups() -> dict[str, list[Option]]:
    """The Advanced fields by group heading, groups in the order their first field is declared."""
    groups: dict[str, list[Option]] = {}
    for declared in HYPERPARAMETERS.values():
        groups.setdefault(declared.group, []).append(declared)
    return groups


def _field(declared: Option):
    """The component for one option: its label, its help (with range and what 0 means) as info text."""
    info = declared.described(declared.bounds, f"0 = {declared.zero_means}" if declared.zero_means else "")
    common = {"label": declared.label, "info": info, "elem_id": f"train-{declared.name}", "min_width": 150}
    if declared.widget == "checkbox":
        return gr.Checkbox(**common)
    if declared.widget == "dropdown":
        return gr.Dropdown(list(declared.choices), **common)
    return gr.Number(precision=0 if declared.kind is int else None, **common)


def on_load(ctx, fn, inputs, outputs):
    """Run `fn` on every page load (state comes from disk, so a reload re-attaches); cheap, unlimited.
    Returns the event (for `.then`)."""
    options = {"show_progress": "hidden", "api_visibility": "private", "concurrency_limit": None}
    blocks = getattr(ctx, "blocks", None)
    if blocks is not None:
        return blocks.load(fn, inputs=inputs, outputs=outputs, **options)
    return gr.on(None, fn, inputs=inputs, outputs=outputs, **options)


def _shown(value, declared: Option):
    return bool(value) if declared.kind is bool else value


def data_summary(ctx, source: str) -> str:
    """One line saying what the chosen data holds (and what to do when it is empty)."""
    if source == DATA_DEMO:
        return "About 400 generated pairs (helpful vs evasive, correct vs wrong, …) that a small model learns quickly."
    if source == DATA_FILE:
        return "Upload a file of labeled pairs (prompt/chosen/rejected or any schema the Data tab imports)."
    n = _store_pairs(ctx)
    if not n:
        return ("The store has no labeled pairs yet: label some in the **Label** tab, import a file in **Data**, "
                "or choose the built-in demo pairs.")
    return f"The store has **{n}** labeled pairs ready for training."


def model_of(source: str, text: str | None) -> str:
    """The TrainSpec `model` value for the Backbone choice."""
    if source == MODEL_DEFAULT:
        return "default"
    text = (text or "").strip()
    if not text:
        raise BadInput(f"type the model's {'path' if source == MODEL_PATH else 'Hub id'} first", field="model")
    if source == MODEL_PATH and not Path(text).expanduser().exists():
        raise BadInput(f"model path '{text}' does not exist", field="model")
    return text


def data_of(home, source: str, upload) -> str | None:
    """The TrainSpec `data` value: None for the store, the demo file, or the uploaded file's path."""
    if source == DATA_STORE:
        return None
    if source == DATA_DEMO:
        from rmstudio.data import demo

        path = Path(home) / "demo" / "labeled_pairs.jsonl"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            demo.write_labeled_demo(path)
        return str(path)
    path = getattr(upload, "name", upload)
    if not path:
        raise BadInput("choose a file to upload first (or another data source)", field="data")
    return str(path)


def spec_from_form(home, values: dict, shown: dict):
    """A TrainSpec from the form: backbone, data, preset, and the hyperparameters the user changed."""
    overrides = {}
    zero_is_automatic = ZERO_IS_AUTOMATIC if shown else set(HYPERPARAMETERS)  # no preset shown: 0 = not set
    for name in HYPERPARAMETERS:
        value, before = values.get(name), shown.get(name)
        if name in zero_is_automatic:
            value, before = value or None, before or None
        if value is None or (name in shown and value == before):
            continue
        overrides[name] = value  # TrainSpec coerces it (a number box's 4.0 becomes the integer 4)
    spec = TrainSpec(model=model_of(values["model_source"], values.get("model_text")), home=str(home),
                     data=data_of(home, values["data_source"], values.get("data_file")),
                     preset=values.get("preset") or "auto", **overrides)
    if settings.demo_mode():
        cap = demo_cap()
        spec.max_pairs = min(spec.max_pairs or cap, cap)
    return spec
