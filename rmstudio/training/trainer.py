"""Spec -> frozen data -> tokenized pairs (truncation policy) -> RewardConfig + RewardTrainer -> checkpoint.

`run(spec, run_dir)` is what the worker calls (in each process when launched through accelerate).
Heavy imports (torch, transformers, trl) happen inside functions so `import rmstudio.training.trainer` stays cheap.
"""

from __future__ import annotations

import time
from pathlib import Path

from rmstudio.errors import BadInput
from rmstudio.jobs.rundir import CHECKPOINTS_DIR
from rmstudio.training.presets import Preset, get_preset
from rmstudio.training.spec import TrainSpec
from rmstudio.training.trainset import freeze_data, read_frozen, split_pairs, tokenize_pairs

__all__ = ["TrainSpec", "freeze_data", "run", "preset_values", "hyperparameters", "DEMO_MAX_PAIRS"]

DEMO_MAX_PAIRS = 400  # demo mode cap: the demo's labeled pairs train in ~2 minutes on 2 CPU cores
GRADIENT_CHECKPOINTING_MIN_PARAMETERS = 1_000_000_000


def count_parameters(model: str | None) -> tuple[int, int]:
    """(parameters, position limit) of a model without loading its weights (meta device).

    `torch.device("meta")` is thread-local; accelerate's `init_empty_weights` patches nn.Module for every
    thread, so in the web app a model loaded for scoring at the same moment would get meta tensors."""
    import torch
    from transformers import AutoModelForSequenceClassification

    from rmstudio.model.backbones import load_config
    from rmstudio.model.encoding import default_max_length

    _, config = load_config(model)
    config.num_labels = 1
    with torch.device("meta"):
        net = AutoModelForSequenceClassification.from_config(config)
    return sum(p.numel() for p in net.parameters()), default_max_length(config)


def preset_values(preset: str, model: str | None = "default") -> dict:
    """The hyperparameters `preset` gives `model` (for forms), with max_length capped by the model."""
    params, limit = count_parameters(model)
    chosen = get_preset(preset, params)
    values = chosen.as_dict()
    values["preset"] = values.pop("name")
    values["max_length"] = min(chosen.max_length, limit)
    values.update(eval_fraction=TrainSpec.eval_fraction, seed=TrainSpec.seed, lora=False)
    return values


def hyperparameters(spec: TrainSpec, preset: Preset, position_limit: int) -> dict:
    """Preset values overridden by every spec field that is set; max_length checked against the model."""
    values = preset.as_dict()
    values["preset"] = values.pop("name")
    for name in list(values):
        if getattr(spec, name, None) is not None and name != "preset":
            values[name] = getattr(spec, name)
    if spec.max_length is not None and spec.max_length > position_limit:
        raise BadInput(
            f"max_length {spec.max_length} exceeds the model's position limit of {position_limit} tokens",
            field="max_length",
        )
    values["max_length"] = min(values["max_length"], position_limit)
    values.update(
        max_steps=spec.max_steps,
        seed=spec.seed,
        lora=spec.lora,
        center_rewards_coefficient=spec.center_rewards_coefficient,
    )
    if spec.lora:
        values.update(lora_r=spec.lora_r, lora_alpha=spec.lora_alpha, lora_dropout=spec.lora_dropout)
    return values


def precision(spec: TrainSpec, num_parameters: int) -> dict:
    """Device and mixed-precision arguments: CUDA (bf16 where fast, else fp16) or CPU (bf16 if fast)."""
    import torch

    from rmstudio.model.hardware import bf16_is_fast

    cuda = torch.cuda.is_available() and spec.device != "cpu"
    if spec.device and spec.device.startswith("cuda") and not torch.cuda.is_available():
        raise BadInput("device 'cuda' was asked for but no CUDA GPU is available", field="device")
    if cuda:
        bf16 = bf16_is_fast("cuda") if spec.bf16 is None else spec.bf16
        return {
            "use_cpu": False,
            "bf16": bf16,
            "fp16": not bf16 and spec.bf16 is None,
            "gradient_checkpointing": bool(
                spec.gradient_checkpointing
                if spec.gradient_checkpointing is not None
                else num_parameters >= GRADIENT_CHECKPOINTING_MIN_PARAMETERS
            ),
        }
    return {
        "use_cpu": True,
        "bf16": bf16_is_fast("cpu") if spec.bf16 is None else spec.bf16,
        "fp16": False,
        "gradient_checkpointing": bool(spec.gradient_checkpointing),
    }


def _steps(spec: TrainSpec, n_train: int, hp: dict, world: int) -> int:
    per_step = hp["batch_size"] * hp["gradient_accumulation_steps"] * world
    return spec.max_steps or max(1, int(hp["epochs"] * -(-n_train // per_step)))


def reward_config(spec: TrainSpec, run_dir: Path, hp: dict, device: dict, n_train: int, has_eval: bool):
    """TRL's RewardConfig for this run: no max_length filter (we truncate), length-grouped batches, our logging."""
    import os

    from trl import RewardConfig

    world = int(os.environ.get("WORLD_SIZE", "1"))
    device = dict(device)
    if "activation_checkpointing" in RewardConfig.__dataclass_fields__:  # transformers >= 5 renamed it
        device["activation_checkpointing"] = device.pop("gradient_checkpointing")
    total = _steps(spec, n_train, hp, world)
    eval_steps = spec.eval_steps or max(1, total // 3)
    return RewardConfig(
        output_dir=str(run_dir / CHECKPOINTS_DIR),
        per_device_train_batch_size=hp["batch_size"],
        per_device_eval_batch_size=max(hp["batch_size"], 16),
        gradient_accumulation_steps=hp["gradient_accumulation_steps"],
        learning_rate=hp["learning_rate"],
        num_train_epochs=hp["epochs"],
        max_steps=spec.max_steps or -1,
        warmup_steps=hp["warmup_ratio"],
        weight_decay=hp["weight_decay"],
        lr_scheduler_type=hp["lr_scheduler"],
        center_rewards_coefficient=spec.center_rewards_coefficient,
        max_length=None,  # rmstudio truncates itself: TRL's filter would silently drop long pairs
        train_sampling_strategy="group_by_length",
        length_column_name="length",
        logging_steps=spec.logging_steps or max(1, total // 40),
        logging_first_step=True,
        eval_strategy="steps" if has_eval else "no",
        eval_steps=eval_steps,
        save_strategy="no",  # RunFilesCallback asks for saves (time-based, and on stop)
        save_total_limit=1,
        report_to=[],
        disable_tqdm=True,
        seed=spec.seed,
        data_seed=spec.seed,
        dataloader_num_workers=0,
        ddp_find_unused_parameters=False,
        **device,
    )


def _frozen_weights_dtype(spec: TrainSpec):
    """bf16 base weights for LoRA on a bf16 GPU (the frozen weights need no fp32 master copy); else fp32."""
    import torch

    from rmstudio.model.hardware import bf16_is_fast

    on_gpu = torch.cuda.is_available() and spec.device != "cpu"
    if spec.lora and on_gpu and spec.bf16 is not False and bf16_is_fast("cuda"):
        return torch.bfloat16
    return None


def _trainer_class():
    import torch
    from trl import RewardTrainer

    class PairTrainer(RewardTrainer):
        """RewardTrainer that keeps the `length` column for length-grouped batches, and whose eval accuracy
        and margin are over pairs, as `eval` computes them (`metrics.pairwise_accuracy` of the margins).

        TRL averages per-batch means, so a short last eval batch (161 pairs = 10 x 16 + 1) weighs as much
        as a full one and the figure is a multiple of 1/176, not 1/161. Here every held-out pair's margin is
        gathered (`gather_for_metrics` drops the samples repeated to even out processes) and the figures
        are computed once over all of them when the evaluation is logged."""

        def __init__(self, *args, **kwargs):
            self._eval_pair_margins: list = []
            super().__init__(*args, **kwargs)

        def _set_signature_columns_if_needed(self):
            if self._signature_columns is None:
                self._signature_columns = ["chosen_ids", "rejected_ids", "margin", "length"]

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            loss, outputs = super().compute_loss(model, inputs, True, num_items_in_batch)
            if not self.model.training:
                chosen, rejected = torch.chunk(outputs.logits.detach().squeeze(-1), chunks=2)
                margins = self.accelerator.gather_for_metrics(chosen - rejected)
                self._eval_pair_margins.append(margins.float().cpu())
            return (loss, outputs) if return_outputs else loss

        def log(self, logs, start_time=None):
            if not self.model.training and self._eval_pair_margins:
                self._metrics["eval"].update(eval_figures_over_pairs(torch.cat(self._eval_pair_margins)))
            self._eval_pair_margins = []
            super().log(logs, start_time)

    return PairTrainer


def eval_figures_over_pairs(margins) -> dict:
    """TRL's eval `accuracy` and `margin` entries (lists of one value) computed over the pairs themselves."""
    from rmstudio.scoring import metrics

    values = margins.numpy()
    return {"accuracy": [metrics.pairwise_accuracy(values)], "margin": [float(values.mean())]}


def lora_config(hp: dict):
    from peft import LoraConfig, TaskType

    # SEQ_CLS puts the score/classifier head in modules_to_save: trained fully and saved with the adapter.
    return LoraConfig(
        task_type=TaskType.SEQ_CLS,
        r=hp["lora_r"],
        lora_alpha=hp["lora_alpha"],
        lora_dropout=hp["lora_dropout"],
        target_modules="all-linear",
    )


def resume_checkpoint(spec: TrainSpec, run_dir: Path) -> str | None:
    """The trainer checkpoint to continue from: spec.resume_from ("last" = newest), else the newest present."""
    found = sorted(
        (p for p in (run_dir / CHECKPOINTS_DIR).glob("checkpoint-*") if (p / "trainer_state.json").exists()),
        key=lambda p: int(p.name.rsplit("-", 1)[-1]) if p.name.rsplit("-", 1)[-1].isdigit() else -1,
    )
    if spec.resume_from and spec.resume_from != "last":
        if not (Path(spec.resume_from) / "trainer_state.json").exists():
            raise BadInput(
                f"resume_from '{spec.resume_from}' is not a trainer checkpoint", field="resume_from"
            )
        return spec.resume_from
    return str(found[-1]) if found else None


def run(spec: TrainSpec, run_dir, on_log=None, update_status=None) -> dict:
    """Train one reward model in `run_dir` and return the summary (the CLI `train` JSON fields)."""
    import rmstudio
    from rmstudio.model.backbones import load_backbone
    from rmstudio.model.checkpoint import final_model, finish_checkpoint, stage_checkpoint
    from rmstudio.model.encoding import PairEncoder, is_conversational
    from rmstudio.training.callbacks import RunFilesCallback, StopRequest

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    stop = StopRequest(run_dir).install()
    spec.validate()
    spec.data_hash = freeze_data(spec, run_dir)
    rows = read_frozen(run_dir)
    conversational = bool(rows) and is_conversational(rows[0]["chosen"])
    backbone = load_backbone(spec.model, conversational=conversational, dtype=_frozen_weights_dtype(spec))
    hp = hyperparameters(spec, get_preset(spec.preset, backbone.num_parameters), backbone.max_length)
    encoder = PairEncoder(backbone.tokenizer, hp["max_length"])
    train_rows, eval_rows = split_pairs(rows, spec.eval_fraction, spec.seed)
    train, held = tokenize_pairs(encoder, train_rows), tokenize_pairs(encoder, eval_rows)
    if len(train.rows) < 1:
        raise BadInput(f"no usable training pairs (dropped: {train.dropped})", field="data")
    device = precision(spec, backbone.num_parameters)
    args = reward_config(spec, run_dir, hp, device, len(train.rows), bool(held.rows))
    files = RunFilesCallback(
        run_dir, stop, save_every_seconds=spec.save_every_seconds, on_log=on_log, update_status=update_status,
        eval_batches=-(-len(held.rows) // args.per_device_eval_batch_size),
    )
    trainer = _trainer_class()(
        model=backbone.model,
        args=args,
        train_dataset=train.dataset(),
        eval_dataset=held.dataset() if held.rows else None,
        processing_class=backbone.tokenizer,
        callbacks=[files],
        peft_config=lora_config(hp) if spec.lora else None,
    )
    print(
        f"rmstudio: {backbone.name} ({backbone.num_parameters:,} parameters, {backbone.kind}); "
        f"fixes: {backbone.fixes or 'none'}; hyperparameters: {hp}; device: {device}",
        flush=True,
    )
    started = time.time()
    result = trainer.train(resume_from_checkpoint=resume_checkpoint(spec, run_dir))
    train_seconds = time.time() - started
    state = "cancelled" if files.stopped_early else "succeeded"
    summary = {
        "state": state,
        "checkpoint": None,
        "model": backbone.name,
        "preset": hp["preset"],
        "train_pairs": len(train.rows),
        "eval_pairs": len(held.rows),
        "truncated_pairs": train.truncated + held.truncated,
        "dropped_pairs": train.dropped_total + held.dropped_total,
        "dropped_reasons": _merge(train.dropped, held.dropped),
        "steps": trainer.state.global_step,
        "train_seconds": round(train_seconds, 2),
        "pairs_per_second": round((trainer.state.epoch or 0) * len(train.rows) / max(train_seconds, 1e-9), 3),
        "train_loss": result.training_loss,
        "eval_accuracy": None,
    }
    if not trainer.is_world_process_zero():
        return summary
    model = final_model(trainer)
    staged = stage_checkpoint(run_dir, model, backbone.tokenizer)
    evaluation = final_evaluation(model, encoder, held.rows, name=str(staged), bf16=device["bf16"])
    summary["eval_accuracy"] = evaluation["eval_accuracy"]
    if held.rows:  # the final evaluation, as a metrics line like the periodic ones
        files.write_record(
            trainer.state,
            {
                "eval_accuracy": evaluation["eval_accuracy"],
                "eval_loss": evaluation["eval_loss"],
                "eval_margin": evaluation["eval_mean_margin"],
            },
        )
    metadata = {
        "rmstudio_version": rmstudio.__version__,
        "base_model": backbone.name,
        "base_model_path": backbone.path,
        "data_hash": spec.data_hash,
        "encoding": encoder.metadata(),
        "hyperparameters": hp,
        "tokenizer_fixes": backbone.fixes,
        "run_dir": str(run_dir),
        **{k: v for k, v in summary.items() if k not in ("checkpoint", "model")},
    }
    saved = finish_checkpoint(staged, metadata=metadata, evaluation=evaluation, output=spec.output)
    summary["checkpoint"] = str(Path(spec.output).expanduser().resolve()) if spec.output else str(saved)
    if state == "succeeded":  # resumable trainer checkpoints (optimizer state: 3x the model) are done with
        import shutil

        shutil.rmtree(run_dir / CHECKPOINTS_DIR, ignore_errors=True)
    return summary


def final_evaluation(model, encoder, rows: list[dict], *, name: str, bf16: bool) -> dict:
    """eval.json of the trained model on the held-out pairs: `RewardScorer` scores them as `eval` scores
    the saved checkpoint, at the precision training ran in. Call it once the model is saved: the scorer
    speeds the model up in place."""
    from rmstudio.scoring import metrics
    from rmstudio.scoring.scorer import RewardScorer

    if not rows:
        return metrics.held_out_figures([], [])
    scorer = RewardScorer.from_model(model, encoder, name=name, precision="bf16" if bf16 else "fp32")
    margins = scorer.margins(
        [row["prompt"] for row in rows],
        [row["chosen"] for row in rows],
        [row["rejected"] for row in rows],
        allow_empty=True,  # training accepted these pairs, so each gets a score
    )
    return metrics.held_out_figures(margins, [row.get("category") for row in rows])


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out
