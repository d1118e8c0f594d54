"""Runs and their metrics shaped into tables, plot frames and a progress bar for the Train tab.

Pure functions over the dicts that `jobs` returns: no gradio, no model, no I/O except the fingerprints
(`stat` calls). The UI only calls these and hands the frames to components, so what the page shows is
tested without a browser. Evaluation results are shaped in `rmstudio.ui.views.compare`.
"""

from __future__ import annotations

import html
import math
import os
from pathlib import Path

import pandas as pd

from rmstudio.jobs.rundir import CHECKPOINT_DIR, METRICS_FILE, STATUS_FILE
from rmstudio.jobs.runfiles import UNREADABLE

RUN_COLUMNS = ["Run", "Job", "Status", "Model", "Pairs", "Eval accuracy", "Duration", "Started"]


# --- small formatting -----------------------------------------------------------------------------
def format_duration(seconds) -> str:
    """Seconds as a short human duration: '42 s', '3 min 05 s', '1 h 02 min'; '' when unknown."""
    if seconds is None or not isinstance(seconds, (int, float)) or math.isnan(seconds):
        return ""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_share(value, digits: int = 1) -> str:
    """0.8123 -> '81.2%'; '' for None/NaN."""
    if not is_number(value):
        return ""
    return f"{100 * value:.{digits}f}%"


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def round_or_none(value, digits: int = 3):
    return round(float(value), digits) if is_number(value) else None


def model_label(model) -> str:
    """How a run's backbone is named in tables: the embedded default, a local directory's name, or a Hub id."""
    if not model or model == "default":
        return "default (MiniLM)"
    model = str(model)
    if model.startswith(("/", ".", "~")):
        return Path(model).name or model
    return model


# --- runs (Train tab) -----------------------------------------------------------------------------
def _started(run: dict) -> str:
    stamp = run.get("started_at") or run.get("created_at")
    if not is_number(stamp):
        return ""
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))


def runs_table(runs: list[dict]) -> pd.DataFrame:
    """Past and current runs (as `jobs.list_runs` gives them, newest first) as the Train tab's table.
    Job is "train", or "generate" for candidate-generation jobs, which share the queue."""
    rows = [
        [
            run.get("run_id", ""),
            run.get("kind") or "train",
            run.get("error") if run.get("state") == UNREADABLE else run.get("state", ""),
            model_label(run.get("model")),
            run.get("data_pairs") if run.get("data_pairs") is not None else "",
            format_share(run.get("eval_accuracy")),
            format_duration(run.get("duration_seconds")),
            _started(run),
        ]
        for run in runs
    ]
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def run_to_follow(runs: list[dict]) -> dict | None:
    """The run the Train tab shows: the running one, else the oldest queued one, else the newest run.

    Computed from disk (`jobs.list_runs`) on every load, so a reload or a second browser re-attaches.
    """
    running = [r for r in runs if r.get("state") == "running"]
    if running:
        return running[0]
    queued = [r for r in runs if r.get("state") == "queued"]
    if queued:
        return queued[-1]  # runs come newest first: the last queued one is the oldest
    return runs[0] if runs else None


def run_fingerprint(run_dir) -> str:
    """A cheap token that changes whenever the run's metrics or status change (sizes and mtimes).

    Polling compares it with the previous token and redraws plots only when it differs.
    """
    parts = []
    for name in (METRICS_FILE, STATUS_FILE):
        try:
            st = os.stat(Path(run_dir) / name)
            parts.append(f"{st.st_size}:{st.st_mtime_ns}")
        except (FileNotFoundError, TypeError):
            parts.append("-")
    return f"{Path(run_dir).name if run_dir else ''}|{'|'.join(parts)}"


def runs_dir_fingerprint(root) -> str:
    """A cheap token over every run's status.json (names, sizes, mtimes): changes when any run changes state."""
    parts = []
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return ""
    for entry in entries:
        try:
            st = os.stat(os.path.join(entry.path, STATUS_FILE))
        except (FileNotFoundError, NotADirectoryError):
            continue
        parts.append(f"{entry.name}:{st.st_size}:{st.st_mtime_ns}")
    return ";".join(parts)


def metric_frames(records: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(loss, accuracy) plot frames from metrics.jsonl records.

    loss: columns step, loss. accuracy: columns step, accuracy, split ("train" or "eval") so train and
    eval accuracy overlay in one plot on the same 0-1 axis.
    """
    loss_rows, acc_rows = [], []
    for record in records:
        step = record.get("step")
        if not is_number(step):
            continue
        if is_number(record.get("loss")):
            loss_rows.append({"step": step, "loss": float(record["loss"])})
        if is_number(record.get("accuracy")):
            acc_rows.append({"step": step, "accuracy": float(record["accuracy"]), "split": "train"})
        if is_number(record.get("eval_accuracy")):
            acc_rows.append({"step": step, "accuracy": float(record["eval_accuracy"]), "split": "eval"})
    loss = pd.DataFrame(loss_rows, columns=["step", "loss"])
    accuracy = pd.DataFrame(acc_rows, columns=["step", "accuracy", "split"])
    return loss, accuracy


def step_domain(*frames: pd.DataFrame) -> list[float] | None:
    """[first step, last step] over every frame's `step` column: the x range the loss and accuracy plots share,
    so the same step sits at the same place in both (each plot would otherwise fit its own points: the
    eval points start later than the loss). None when there are not two distinct steps yet."""
    steps = [float(step) for frame in frames if not frame.empty for step in frame["step"]]
    if len(set(steps)) < 2:
        return None
    return [min(steps), max(steps)]


def progress_numbers(status: dict) -> tuple[int, int | None, float | None]:
    """(step, total_steps, eta_seconds) from a status dict; missing parts are 0 / None."""
    prog = status.get("progress") or {}
    step = prog.get("step") if is_number(prog.get("step")) else 0
    total = prog.get("total_steps") if is_number(prog.get("total_steps")) and prog.get("total_steps") > 0 else None
    eta = prog.get("eta_seconds") if is_number(prog.get("eta_seconds")) else None
    if status.get("state") == "succeeded" and total:
        step, eta = total, 0
    return int(step), (int(total) if total else None), eta


_BAR = 'aria-label="training progress" style="width:100%;height:14px;margin-top:6px;accent-color:#6366f1"'


def progress_html(status: dict | None) -> str:
    """The run's progress bar with step count, ETA and state, as HTML built only from escaped values."""
    if not status:
        return '<div class="rm-progress"><em>No run yet. Choose data and press Train.</em></div>'
    state = str(status.get("state") or "unknown")
    step, total, eta = progress_numbers(status)
    run_id = html.escape(str(status.get("run_id") or ""))
    if total:
        percent = min(100.0, 100.0 * step / total)
        bar = f'<progress value="{step}" max="{total}" {_BAR}></progress>'
        text = f"step {step} / {total} ({percent:.0f}%)"
    else:
        bar = f'<progress {_BAR}></progress>' if state in ("queued", "running") else ""
        text = "waiting for the first step" if state in ("queued", "running") else ""
    if state == "running" and eta is not None:
        text += f" · ETA {format_duration(eta)}"
    error = status.get("error") if state in ("failed", "interrupted", "cancelled", UNREADABLE) else None
    detail = f'<div class="rm-error">{html.escape(str(error))}</div>' if error else ""
    outcome = run_outcome_text(status)
    detail += f'<div class="rm-run-outcome">{html.escape(outcome)}</div>' if outcome else ""
    return (f'<div class="rm-progress" data-state="{html.escape(state)}"><div><strong>Run {run_id}</strong>: '
            f'<span class="rm-state">{html.escape(state)}</span> {html.escape(text)}</div>{bar}{detail}</div>')


def run_outcome_text(status: dict) -> str:
    """What a finished run produced, from its status.json summary: the checkpoint path, the training speed
    and how many pairs were truncated ("checkpoint /h/runs/x/checkpoint · 41.3 pairs/s · 325 of 1,607 pairs
    truncated"); "" before the run has a summary. The summary is untrusted (any process can write it):
    a part whose value has the wrong type is left out."""
    summary = status.get("summary")
    if status.get("state") not in ("succeeded", "cancelled") or not isinstance(summary, dict):
        return ""
    parts = []
    if isinstance(summary.get("checkpoint"), str) and summary["checkpoint"]:
        parts.append(f"checkpoint {summary['checkpoint']}")
    if is_number(summary.get("pairs_per_second")):
        parts.append(f"{summary['pairs_per_second']:,.1f} pairs/s")
    pairs = [summary.get(name) for name in ("train_pairs", "eval_pairs")]
    if is_number(summary.get("truncated_pairs")) and all(is_number(n) for n in pairs):
        parts.append(f"{int(summary['truncated_pairs']):,} of {int(sum(pairs)):,} pairs truncated")
    return " · ".join(parts)


def active_training_run(runs: list[dict]) -> dict | None:
    """The training run that is queued or running, if any. While there is one the Train button stays
    disabled, on every draw (a reload or a second browser included), not only after this page's click."""
    return next((run for run in runs if is_training_run(run) and run.get("state") in ("queued", "running")), None)


def train_note(admin: bool, runs: list[dict]) -> str:
    """Why the Train button is disabled ("" when it is enabled)."""
    if not admin:
        return "*Only admins can start, cancel or resume training.*"
    active = active_training_run(runs)
    if active:
        return (f"*Run {html.escape(str(active.get('run_id', '')))} is {html.escape(str(active.get('state')))}: "
                "Train is enabled again when it ends (or cancel it).*")
    return ""


def is_training_run(run: dict) -> bool:
    return (run.get("kind") or "train") == "train"


def finished_checkpoints(runs: list[dict]) -> list[tuple[str, str]]:
    """(label, checkpoint path) for every succeeded training run with a checkpoint, newest first."""
    choices = []
    for run in runs:
        ckpt = run.get("checkpoint")
        if not ckpt and run.get("run_dir") and (Path(run["run_dir"]) / CHECKPOINT_DIR).is_dir():
            ckpt = Path(run["run_dir"]) / CHECKPOINT_DIR
        if run.get("state") != "succeeded" or not ckpt or not is_training_run(run):
            continue
        acc = format_share(run.get("eval_accuracy"))
        label = f"{run.get('run_id')} · {model_label(run.get('model'))}" + (f" · eval {acc}" if acc else "")
        choices.append((label, str(ckpt)))
    return choices
