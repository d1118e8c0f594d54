"""TrainerCallbacks that make a run observable and stoppable through its run directory.

- `RunFilesCallback` appends every log step to metrics.jsonl, keeps status.json's progress current,
  saves a resumable trainer checkpoint every `save_every_seconds`, and fails fast (clear message)
  when the run directory disappears.
- `StopRequest`: SIGTERM or a RUN_DIR/stop file asks training to stop after the current step; with
  several processes every rank agrees on the same step (one all-reduce per step).
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from transformers import TrainerCallback

from rmstudio.jobs.rundir import METRICS_FILE, STOP_FILE


class RunDirGone(RuntimeError):
    """The run directory was deleted while the run was going on."""


def _supervisor_gone() -> bool:
    """True when this process is an accelerate rank whose rmstudio worker supervisor has died."""
    pid = os.environ.get("RMSTUDIO_SUPERVISOR_PID")
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError):
        return False
    return False


class StopRequest:
    """Set by SIGTERM (this process) or by the RUN_DIR/stop file (any process, e.g. the worker supervisor)."""

    def __init__(self, run_dir):
        self.run_dir = Path(run_dir)
        self.signalled = False

    def install(self) -> StopRequest:
        signal.signal(signal.SIGTERM, self._on_signal)
        return self

    def _on_signal(self, signum, frame) -> None:
        self.signalled = True

    def local(self) -> bool:
        return self.signalled or (self.run_dir / STOP_FILE).exists() or _supervisor_gone()

    def agreed(self) -> bool:
        """True when any process asked to stop (all ranks get the same answer)."""
        import torch.distributed as dist

        wanted = self.local()
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            import torch

            flag = torch.tensor([1.0 if wanted else 0.0])
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            wanted = bool(flag.item())
        return wanted


class RunFilesCallback(TrainerCallback):
    """Writes metrics.jsonl and status progress (main process only) and applies stop requests."""

    def __init__(
        self,
        run_dir,
        stop: StopRequest,
        *,
        save_every_seconds: float = 600.0,
        on_log=None,
        update_status=None,
    ):
        self.run_dir = Path(run_dir)
        self.stop = stop
        self.save_every = save_every_seconds
        self.on_log_record = on_log
        self.update_status = update_status
        self.started = self.last_save = time.time()
        self.first_step = 0
        self.stopped_early = False
        self._last_progress = 0.0

    # -- helpers -------------------------------------------------------------------------------------
    def _check_run_dir(self) -> None:
        if not self.run_dir.is_dir():
            raise RunDirGone(f"the run directory {self.run_dir} was deleted while training; stopping")

    def eta(self, state) -> float | None:
        done = state.global_step - self.first_step
        if done <= 0 or not state.max_steps:
            return None
        return (time.time() - self.started) / done * max(0, state.max_steps - state.global_step)

    def _progress(self, state, force: bool = False) -> None:
        if not state.is_world_process_zero or self.update_status is None:
            return
        now = time.time()
        if not force and now - self._last_progress < 1.0:
            return
        self._last_progress = now
        eta = self.eta(state)
        self.update_status(
            self.run_dir,
            progress={
                "step": state.global_step,
                "total_steps": state.max_steps,
                "epoch": state.epoch,
                "elapsed_seconds": round(now - self.started, 1),
                "eta_seconds": None if eta is None else round(eta, 1),
            },
        )

    # -- events --------------------------------------------------------------------------------------
    def on_train_begin(self, args, state, control, **kwargs):
        self.started = self.last_save = time.time()
        self.first_step = state.global_step  # > 0 when resuming
        self._check_run_dir()
        self._progress(state, force=True)

    def on_step_end(self, args, state, control, **kwargs):
        self._check_run_dir()
        if self.stop.agreed():
            self.stopped_early = True
            control.should_training_stop = True
            control.should_save = True  # a resumable trainer checkpoint
        elif time.time() - self.last_save > self.save_every:
            control.should_save = True
        self._progress(state)

    def on_save(self, args, state, control, **kwargs):
        self.last_save = time.time()

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        if state.is_world_process_zero and "train_runtime" not in logs:
            self.write_record(state, logs)

    def write_record(self, state, logs: dict) -> None:
        """Append one metrics.jsonl line (also used for the final evaluation, logged after training)."""
        self._check_run_dir()
        eta = self.eta(state)
        record = {
            "step": state.global_step,
            "epoch": None if state.epoch is None else round(state.epoch, 4),
            **{
                key: logs.get(key)
                for key in (
                    "loss",
                    "accuracy",
                    "margin",
                    "eval_loss",
                    "eval_accuracy",
                    "eval_margin",
                    "learning_rate",
                    "grad_norm",
                )
            },
            "elapsed": round(time.time() - self.started, 2),
            "eta": None if eta is None else round(eta, 1),
        }
        with open(self.run_dir / METRICS_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self.on_log_record is not None:
            self.on_log_record(record)
        self._progress(state, force=True)
