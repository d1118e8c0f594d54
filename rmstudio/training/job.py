"""The training job kind: how the job engine (`rmstudio.jobs`) prepares, runs and resumes a training run.

Registered as "train" when imported (the worker imports it for a training run); the trainer itself is
imported only when a run starts, so queueing a run stays cheap for the web process.
"""

from __future__ import annotations

from pathlib import Path

from rmstudio.jobs import kinds
from rmstudio.jobs.rundir import DATA_FILE, SPEC_FILE, drop_metrics_after, read_spec, write_json_atomic
from rmstudio.training.spec import TrainSpec


def prepare(spec: TrainSpec, home: Path, run_dir: Path) -> dict:
    """Check the spec and the model (BadInput now, before the run exists), then freeze the data into the run."""
    from rmstudio.training.trainset import freeze_data

    spec.home = str(home)
    spec.validate()
    _check_model(spec.model)
    spec.data_hash = freeze_data(spec, run_dir)
    return {"data_pairs": _count_rows(run_dir)}


def _check_model(model: str) -> None:
    """BadInput for a local model that cannot become a reward model.
    (Hub ids are checked by the worker: reaching the Hub is not the web process's job.)"""
    from rmstudio.model import backbones

    backbones.resolve_model_path(model)
    if model != "default" and backbones.is_local_model(model):
        backbones.load_config(model)


def _count_rows(run_dir: Path) -> int | None:
    try:
        import pyarrow.parquet as pq

        return pq.read_metadata(run_dir / DATA_FILE).num_rows
    except Exception:  # noqa: BLE001 - the count is informative only
        return None


def run(spec: TrainSpec, run_dir: Path, update_status) -> dict:
    """Train in the worker (or in one rank of a distributed run); returns the run's summary."""
    from rmstudio.training import trainer

    return trainer.run(spec, run_dir, update_status=update_status)


def device(spec: TrainSpec) -> str:
    return spec.device or "auto"


def launch(spec: TrainSpec) -> kinds.AccelerateLaunch | None:
    """Several processes (or an accelerate config) go through `accelerate launch`."""
    return kinds.AccelerateLaunch(spec.num_processes, spec.accelerate_config) if spec.distributed else None


def resume(run_dir: Path) -> str | None:
    """Continue from the last intermediate checkpoint (from the start, on the same frozen data, without one);
    metrics logged after it are dropped so no step is plotted twice. Returns the checkpoint."""
    checkpoint = last_trainer_checkpoint(run_dir)
    spec = read_spec(run_dir)
    spec["resume_from"] = str(checkpoint) if checkpoint else None
    write_json_atomic(run_dir / SPEC_FILE, spec)
    drop_metrics_after(run_dir, int(checkpoint.name.split("-")[-1]) if checkpoint else 0)
    return spec["resume_from"]


def last_trainer_checkpoint(run_dir) -> Path | None:
    """The newest intermediate trainer checkpoint (`checkpoint-<step>` with trainer_state.json) in a run."""
    found = [p.parent for p in Path(run_dir).rglob("checkpoint-*/trainer_state.json")]
    found = [p for p in found if p.name.split("-")[-1].isdigit()]
    return max(found, key=lambda p: int(p.name.split("-")[-1]), default=None)


TRAINING = kinds.register(kinds.JobKind(name="train", spec_type=TrainSpec, prepare=prepare, run=run,
                                        device=device, launch=launch, resume=resume))
