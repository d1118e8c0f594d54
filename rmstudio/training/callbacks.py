"""TrainerCallbacks that make a run observable and stoppable through its run directory.

- `RunFilesCallback` appends every log step to metrics.jsonl, keeps status.json's progress current (with an
  ETA from the run's steady `Pace`), saves a resumable trainer checkpoint every `save_every_seconds`, and
  fails fast (clear message) when the run directory disappears.
- `StopRequest`: SIGTERM or a RUN_DIR/stop file asks training to stop after the current step; with
  several processes every rank agrees on the same step (one all-reduce per step).
"""

from __future__ import annotations

import json
import math
import os
import signal
import time
from collections.abc import Callable
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


class Pace:
    """The steady pace of a run, from the times of its events: seconds per optimizer step and per evaluation.

    The step pace is measured from the end of the first step on (start-up, compilation and the first
    batches are one-off costs) and leaves out the pauses for evaluating and saving, so an ETA from it
    neither overshoots early in a run nor counts the same evaluation twice. Until a first evaluation is
    measured its cost is guessed from the number of eval batches: a forward pass is about a third of a
    training step's forward and backward.
    """

    def __init__(self, eval_batches: int = 0):
        self.eval_batches = eval_batches
        self.steady_since: tuple[float, int] | None = None  # (time, step) at the end of the first step
        self.last_step: tuple[float, int] | None = None
        self.paused = 0.0  # seconds of evaluating/saving since steady_since
        self._paused_at_last_step = 0.0
        self._mark: float | None = None  # the end of the last step, evaluation or save
        self.evaluations: list[float] = []
        self.evaluated_at: int | None = None  # the step of the latest evaluation

    def step_ended(self, now: float, step: int) -> None:
        if self.steady_since is None:
            self.steady_since = (now, step)
        self.last_step, self._paused_at_last_step, self._mark = (now, step), self.paused, now

    def paused_until(self, now: float) -> float:
        """End a pause (an evaluation or a save) that began at the last event; returns its seconds."""
        pause = 0.0 if self._mark is None else max(0.0, now - self._mark)
        self._mark = now
        if self.steady_since is not None:
            self.paused += pause
        return pause

    def evaluated(self, now: float) -> None:
        """The evaluation after the last step ended (counted once: its metrics log and on_evaluate both say so)."""
        step = self.last_step[1] if self.last_step else None
        if step is not None and step == self.evaluated_at:
            return
        self.evaluations.append(self.paused_until(now))
        self.evaluated_at = step

    def seconds_per_step(self) -> float | None:
        """Mean seconds of a step after the first, pauses left out; None before a second step ended."""
        if self.steady_since is None or self.last_step is None or self.last_step[1] <= self.steady_since[1]:
            return None
        busy = self.last_step[0] - self.steady_since[0] - self._paused_at_last_step
        return max(0.0, busy) / (self.last_step[1] - self.steady_since[1])

    def seconds_per_evaluation(self, grad_accumulation: int = 1) -> float:
        if self.evaluations:
            return sum(self.evaluations) / len(self.evaluations)
        per_step = self.seconds_per_step() or 0.0
        return self.eval_batches * per_step / (3 * max(1, grad_accumulation))

    def eta(self, steps_left: int, evaluations_left: int, grad_accumulation: int = 1) -> float | None:
        per_step = self.seconds_per_step()
        if per_step is None:
            return None
        return per_step * max(0, steps_left) + self.seconds_per_evaluation(grad_accumulation) * evaluations_left


def evaluations_left(args, state, *, final: bool, pending_now: bool = False) -> int:
    """Evaluations still to come in a run: the Trainer's schedule after this step (and at this step when
    `pending_now`: its step ended, its evaluation did not run yet), plus rmstudio's final one when `final`."""
    strategy = str(getattr(args, "eval_strategy", "no")).rsplit(".", 1)[-1].lower()
    if strategy == "no":
        return 0
    step, total = state.global_step, state.max_steps or 0
    scheduled = 0
    if strategy == "steps" and state.eval_steps and total:
        every = state.eval_steps if state.eval_steps >= 1 else math.ceil(total * state.eval_steps)
        points = {*range(every, total + 1, every), total}  # the Trainer also evaluates at the last step
        scheduled = sum(1 for p in points if p > step or (p == step and pending_now))
    elif strategy == "epoch":
        scheduled = max(0, math.ceil(args.num_train_epochs) - math.floor(state.epoch or 0))
    return scheduled + (1 if final else 0)


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
        eval_batches: int = 0,
        clock: Callable[[], float] = time.time,
    ):
        self.run_dir = Path(run_dir)
        self.stop = stop
        self.save_every = save_every_seconds
        self.on_log_record = on_log
        self.update_status = update_status
        self.clock = clock  # where the callback takes time from (a fake clock in tests)
        self.pace = Pace(eval_batches)
        self.args = None
        self.started = self.last_save = clock()
        self.first_step = 0
        self.stopped_early = False
        self.training_ended = self.final_recorded = False
        self._last_progress = 0.0

    # -- helpers -------------------------------------------------------------------------------------
    def _check_run_dir(self) -> None:
        if not self.run_dir.is_dir():
            raise RunDirGone(f"the run directory {self.run_dir} was deleted while training; stopping")

    def eta(self, state) -> float | None:
        """Seconds until the run is done: the steps and evaluations left at the steady `Pace` (None: not known
        yet, before a second step ended; 0 once training and its final evaluation are over)."""
        if self.args is None:
            return None
        if self.training_ended:  # only rmstudio's final evaluation is left, until it is recorded
            final = not self.final_recorded and evaluations_left(self.args, state, final=True) > 0
            return self.pace.seconds_per_evaluation(self.args.gradient_accumulation_steps) if final else 0.0
        if not state.max_steps:
            return None
        pending = self.pace.evaluated_at != state.global_step
        evals = evaluations_left(self.args, state, final=True, pending_now=pending)
        return self.pace.eta(state.max_steps - state.global_step, evals, self.args.gradient_accumulation_steps)

    def _progress(self, state, force: bool = False) -> None:
        if not state.is_world_process_zero or self.update_status is None:
            return
        now = self.clock()
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
        self.started = self.last_save = self.clock()
        self.args = args
        self.pace = Pace(self.pace.eval_batches)
        self.first_step = state.global_step  # > 0 when resuming
        self._check_run_dir()
        self._progress(state, force=True)

    def on_step_end(self, args, state, control, **kwargs):
        self.pace.step_ended(self.clock(), state.global_step)
        self._check_run_dir()
        if self.stop.agreed():
            self.stopped_early = True
            control.should_training_stop = True
            control.should_save = True  # a resumable trainer checkpoint
        elif self.clock() - self.last_save > self.save_every:
            control.should_save = True
        self._progress(state)

    def on_evaluate(self, args, state, control, **kwargs):
        self.pace.evaluated(self.clock())

    def on_save(self, args, state, control, **kwargs):
        self.last_save = self.clock()
        self.pace.paused_until(self.last_save)

    def on_train_end(self, args, state, control, **kwargs):
        self.training_ended = True

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        if not self.training_ended and any(str(key).startswith("eval_") for key in logs):
            self.pace.evaluated(self.clock())  # the Trainer logs an evaluation's metrics before on_evaluate
        if state.is_world_process_zero and "train_runtime" not in logs:
            self.write_record(state, logs)

    def write_record(self, state, logs: dict) -> None:
        """Append one metrics.jsonl line (also used for the final evaluation, logged after training)."""
        self._check_run_dir()
        self.final_recorded = self.training_ended
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
            "elapsed": round(self.clock() - self.started, 2),
            "eta": None if eta is None else round(eta, 1),
        }
        with open(self.run_dir / METRICS_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        if self.on_log_record is not None:
            self.on_log_record(record)
        self._progress(state, force=True)
