"""The ETA of a run (issue 12: at step 3 it read 9 min 42 s for a run that finished in under 5 minutes).

RunFilesCallback takes time from a clock it is given: a fake clock drives the Trainer's events as a real run
orders them (step ends, evaluations, saves), so the expected figures are exact, not timed."""

from __future__ import annotations

import json

import pytest
from transformers import TrainerControl, TrainerState, TrainingArguments

from rmstudio.jobs.rundir import METRICS_FILE
from rmstudio.training.callbacks import RunFilesCallback, StopRequest, evaluations_left


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def run(tmp_path):
    """(callback, state, args, control, clock, progress updates): 12 steps, an evaluation every 4 steps."""
    clock, updates = FakeClock(), []
    args = TrainingArguments(output_dir=str(tmp_path / "out"), eval_strategy="steps", eval_steps=4, report_to=[])
    state = TrainerState(max_steps=12, eval_steps=4)
    callback = RunFilesCallback(tmp_path, StopRequest(tmp_path), update_status=lambda _, progress: updates.append(
        progress), eval_batches=15, clock=clock)
    return callback, state, args, TrainerControl(), clock, updates


def step(run, seconds: float) -> None:
    callback, state, args, control, clock, _ = run
    clock.wait(seconds)
    state.global_step += 1
    callback.on_step_end(args, state, control)


def test_eta_comes_from_the_steady_step_rate_and_counts_the_evaluations_left(run):
    callback, state, args, control, clock, updates = run
    clock.wait(60)  # loading the model and data: before training begins, not part of the pace
    callback.on_train_begin(args, state, control)
    step(run, 40)  # the first step: start-up, compilation, first batches
    assert callback.eta(state) is None  # no steady pace yet
    step(run, 2)
    step(run, 2)
    # 9 steps at 2 s, 4 evaluations left (steps 4, 8, 12, the final one) guessed at 15 batches x 2 s / 3.
    assert callback.eta(state) == pytest.approx(9 * 2 + 4 * 10)
    assert updates[-1]["eta_seconds"] == pytest.approx(58.0) and updates[-1]["step"] == 3
    step(run, 2)
    assert callback.eta(state) == pytest.approx(8 * 2 + 4 * 10)  # the evaluation at step 4 is about to run
    clock.wait(12)  # the evaluation at step 4, measured: 12 s
    callback.on_evaluate(args, state, control)
    clock.wait(5)  # a resumable checkpoint
    callback.on_save(args, state, control)
    step(run, 2)
    # The pauses are not steps: still 2 s a step; 3 evaluations left at the measured 12 s.
    assert callback.pace.seconds_per_step() == pytest.approx(2.0)
    assert callback.eta(state) == pytest.approx(7 * 2 + 3 * 12)


def test_an_evaluations_metrics_line_already_leaves_that_evaluation_out(run):
    callback, state, args, control, clock, _ = run
    callback.on_train_begin(args, state, control)
    for seconds in (20, 2, 2, 2):
        step(run, seconds)
    callback.on_log(args, state, control, logs={"loss": 0.6})  # logged before the evaluation at step 4
    clock.wait(8)
    callback.on_log(args, state, control, logs={"eval_loss": 0.5, "eval_accuracy": 0.7})  # then its metrics
    callback.on_evaluate(args, state, control)  # the same evaluation: counted once
    assert callback.pace.evaluations == [8]
    before, after = (json.loads(line) for line in (callback.run_dir / METRICS_FILE).read_text().splitlines())
    assert before["eta"] == pytest.approx(8 * 2 + 4 * 10)  # 8 steps, evaluations at 4, 8, 12 and the final one
    assert after["eta"] == pytest.approx(8 * 2 + 3 * 8)  # 3 left, at the measured 8 s


def test_eta_after_training_is_the_final_evaluation_then_zero(run):
    callback, state, args, control, clock, _ = run
    callback.on_train_begin(args, state, control)
    for seconds in (30, *[3] * 11):
        step(run, seconds)
        if state.global_step % 4 == 0:
            clock.wait(6)
            callback.on_evaluate(args, state, control)
    callback.on_train_end(args, state, control)
    assert callback.eta(state) == pytest.approx(6.0)  # rmstudio's final evaluation is still to come
    clock.wait(6)
    callback.write_record(state, {"eval_accuracy": 0.75})
    *_, last = (json.loads(line) for line in (callback.run_dir / METRICS_FILE).read_text().splitlines())
    assert (last["eta"], last["eval_accuracy"]) == (0.0, 0.75)


@pytest.mark.parametrize(("step_now", "pending_now", "expected"),
                         [(0, False, 4), (3, False, 4), (5, True, 4), (5, False, 3), (11, False, 2), (12, True, 2),
                          (12, False, 1)])
def test_evaluations_left_follow_the_trainers_schedule(tmp_path, step_now, pending_now, expected):
    args = TrainingArguments(output_dir=str(tmp_path), eval_strategy="steps", eval_steps=5, report_to=[])
    # 12 steps, every 5: evaluations at 5, 10 and 12 (the last step), then rmstudio's final one.
    state = TrainerState(max_steps=12, eval_steps=5, global_step=step_now)
    assert evaluations_left(args, state, final=True, pending_now=pending_now) == expected
    no_eval = TrainingArguments(output_dir=str(tmp_path), eval_strategy="no", report_to=[])
    assert evaluations_left(no_eval, state, final=True) == 0
