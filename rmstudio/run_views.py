"""Runs, metrics and evaluation results shaped into tables and plot frames for the Train and Compare tabs.

Pure functions over the dicts that `jobs` and `evaluation` return: no gradio, no model, no I/O except
`run_fingerprint` (two `stat` calls). The UI modules only call these and hand the frames to components,
so what the page shows is tested here without a browser.
"""

from __future__ import annotations

import html
import json
import math
import os
from pathlib import Path

import pandas as pd

RUN_COLUMNS = ["Run", "Job", "Status", "Model", "Pairs", "Eval accuracy", "Duration", "Started"]
COMPARE_COLUMNS = ["Checkpoint", "Accuracy", "95% interval", "Mean margin", "ECE", "Pairs/s"]
DISAGREEMENT_PREVIEW_CHARS = 90
COMPLETION_SEPARATOR = "---"


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
    if not _is_number(value):
        return ""
    return f"{100 * value:.{digits}f}%"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def _round(value, digits: int = 3):
    return round(float(value), digits) if _is_number(value) else None


def model_label(model) -> str:
    """How a run's backbone is named in tables: the embedded default, a local directory's name, or a Hub id."""
    if not model or model == "default":
        return "default (MiniLM)"
    model = str(model)
    if model.startswith(("/", ".", "~")):
        return Path(model).name or model
    return model


def as_text(value) -> str:
    """A prompt or completion as plain text: strings as they are, chat messages as 'role: content' lines."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "\n\n".join(
            f"{m.get('role', '?')}: {m.get('content', '')}" if isinstance(m, dict) else str(m) for m in value
        )
    return str(value)


# --- runs (Train tab) -----------------------------------------------------------------------------
def _started(run: dict) -> str:
    stamp = run.get("started_at") or run.get("created_at")
    if not _is_number(stamp):
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
            run.get("state", ""),
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
    for name in ("metrics.jsonl", "status.json"):
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
            st = os.stat(os.path.join(entry.path, "status.json"))
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
        if not _is_number(step):
            continue
        if _is_number(record.get("loss")):
            loss_rows.append({"step": step, "loss": float(record["loss"])})
        if _is_number(record.get("accuracy")):
            acc_rows.append({"step": step, "accuracy": float(record["accuracy"]), "split": "train"})
        if _is_number(record.get("eval_accuracy")):
            acc_rows.append({"step": step, "accuracy": float(record["eval_accuracy"]), "split": "eval"})
    loss = pd.DataFrame(loss_rows, columns=["step", "loss"])
    accuracy = pd.DataFrame(acc_rows, columns=["step", "accuracy", "split"])
    return loss, accuracy


def progress_numbers(status: dict) -> tuple[int, int | None, float | None]:
    """(step, total_steps, eta_seconds) from a status dict; missing parts are 0 / None."""
    prog = status.get("progress") or {}
    step = prog.get("step") if _is_number(prog.get("step")) else 0
    total = prog.get("total_steps") if _is_number(prog.get("total_steps")) and prog.get("total_steps") > 0 else None
    eta = prog.get("eta_seconds") if _is_number(prog.get("eta_seconds")) else None
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
    error = status.get("error") if state in ("failed", "interrupted", "cancelled") else None
    detail = f'<div class="rm-error">{html.escape(str(error))}</div>' if error else ""
    return (f'<div class="rm-progress" data-state="{html.escape(state)}"><div><strong>Run {run_id}</strong>: '
            f'<span class="rm-state">{html.escape(state)}</span> {html.escape(text)}</div>{bar}{detail}</div>')


def is_training_run(run: dict) -> bool:
    return (run.get("kind") or "train") == "train"


def finished_checkpoints(runs: list[dict]) -> list[tuple[str, str]]:
    """(label, checkpoint path) for every succeeded training run with a checkpoint, newest first."""
    choices = []
    for run in runs:
        ckpt = run.get("checkpoint")
        if not ckpt and run.get("run_dir") and (Path(run["run_dir"]) / "checkpoint").is_dir():
            ckpt = Path(run["run_dir"]) / "checkpoint"
        if run.get("state") != "succeeded" or not ckpt or not is_training_run(run):
            continue
        acc = format_share(run.get("eval_accuracy"))
        label = f"{run.get('run_id')} · {model_label(run.get('model'))}" + (f" · eval {acc}" if acc else "")
        choices.append((label, str(ckpt)))
    return choices


# --- evaluation results (Compare tab) -------------------------------------------------------------
def checkpoint_names(paths: list[str]) -> dict[str, str]:
    """Short unique display names for checkpoint paths: the run id for run checkpoints, else the folder name."""
    names: dict[str, str] = {}
    for path in paths:
        p = Path(str(path))
        base = p.parent.name if p.name == "checkpoint" and p.parent.name else (p.name or str(path))
        name, n = base, 2
        while name in names.values():
            name, n = f"{base} ({n})", n + 1
        names[str(path)] = name
    return names


def _results(result: dict, names: dict[str, str]) -> list[tuple[str, dict]]:
    return [(names.get(str(r.get("checkpoint")), str(r.get("checkpoint"))), r) for r in result.get("results", [])]


def comparison_table(result: dict, names: dict[str, str]) -> pd.DataFrame:
    """One row per checkpoint: accuracy, its 95% interval, mean margin, ECE and scoring speed."""
    rows = []
    for name, r in _results(result, names):
        ci = r.get("accuracy_ci") or [None, None]
        interval = f"{format_share(ci[0])} – {format_share(ci[1])}" if _is_number(ci[0]) else ""
        rows.append([name, format_share(r.get("accuracy")), interval, _round(r.get("mean_margin")),
                     _round(r.get("ece")), _round(r.get("pairs_per_second"), 1)])
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)


def category_frame(result: dict, names: dict[str, str]) -> pd.DataFrame:
    """Accuracy per category and checkpoint for a bar plot, bars side by side grouped by category.

    Native bar plots stack the colors of one x value, so each checkpoint's bar gets its own x value: the
    category followed by as many zero-width spaces as the checkpoint's position (it reads as the category).
    """
    rows = [
        {"bar": cat + "\u200b" * position, "category": cat, "accuracy": float(v["accuracy"]), "checkpoint": name,
         "pairs": int(v.get("pairs", 0))}
        for position, (name, r) in enumerate(_results(result, names))
        for cat, v in sorted((r.get("per_category") or {}).items())
        if _is_number(v.get("accuracy"))
    ]
    rows.sort(key=lambda row: (row["category"], row["bar"]))
    return pd.DataFrame(rows, columns=["bar", "category", "accuracy", "checkpoint", "pairs"])


def margin_hist_frame(result: dict, names: dict[str, str]) -> pd.DataFrame:
    """Margin histograms of all checkpoints on one axis: (margin = bin centre, share of pairs, checkpoint).

    Shares (not counts) so checkpoints overlay on the same scale; each checkpoint has its own bins.
    """
    rows = []
    for name, r in _results(result, names):
        hist = r.get("margin_hist") or {}
        edges, counts = hist.get("edges") or [], hist.get("counts") or []
        total = sum(counts) or 1
        for i, count in enumerate(counts[: max(0, len(edges) - 1)]):
            rows.append({"margin": (edges[i] + edges[i + 1]) / 2, "share": count / total, "checkpoint": name})
    return pd.DataFrame(rows, columns=["margin", "share", "checkpoint"])


PERFECT_CALIBRATION = "perfect calibration"
PALETTE = ("#2563eb", "#f97316", "#16a34a", "#db2777", "#7c3aed", "#0891b2", "#ca8a04", "#dc2626")


def series_colors(names: dict[str, str]) -> dict[str, str]:
    """The same color for a checkpoint in every plot, and grey for the perfect-calibration diagonal."""
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names.values())}
    colors[PERFECT_CALIBRATION] = "#9ca3af"
    return colors



def reliability_frame(result: dict, names: dict[str, str]) -> pd.DataFrame:
    """Reliability diagram points (confidence, accuracy, checkpoint) of non-empty bins, plus the diagonal
    drawn as a dotted row of points (a scatter plot shows a checkpoint whose pairs all fall in one bin)."""
    rows = [{"confidence": c / 40, "accuracy": c / 40, "checkpoint": PERFECT_CALIBRATION} for c in range(20, 41)]
    for name, r in _results(result, names):
        for b in r.get("reliability") or []:
            if b.get("count") and _is_number(b.get("confidence")) and _is_number(b.get("accuracy")):
                rows.append({"confidence": float(b["confidence"]), "accuracy": float(b["accuracy"]), "checkpoint": name})
    return pd.DataFrame(rows, columns=["confidence", "accuracy", "checkpoint"])


def _preview(text: str, limit: int = DISAGREEMENT_PREVIEW_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pair_of(item: dict, pairs: list[dict]) -> dict:
    """The evaluated pair a disagreement points at: the full row when the pairs are at hand, else the
    item itself (evaluation results carry text previews)."""
    index = item.get("index")
    if isinstance(index, int) and 0 <= index < len(pairs):
        return pairs[index]
    return item


def disagreement_table(result: dict, pairs: list[dict], names: dict[str, str]) -> pd.DataFrame:
    """Pairs on which checkpoints disagree, largest disagreement first: #, size, prompt preview, and
    for each checkpoint whether it preferred the labeled 'chosen' response."""
    ckpts = [name for name, _ in _results(result, names)]
    rows = []
    for pos, item in enumerate(result.get("disagreements") or []):
        pair = _pair_of(item, pairs)
        decided = {names.get(k, k): v for k, v in (item.get("decisions") or {}).items()}
        row = {"#": pos + 1, "Pair": item.get("index"), "Disagreement": _round(item.get("size"), 2),
               "Prompt": _preview(as_text(pair.get("prompt")))}
        row.update({name: decided.get(name, "") for name in ckpts})
        rows.append(row)
    return pd.DataFrame(rows, columns=["#", "Pair", "Disagreement", "Prompt", *ckpts])


def disagreement_detail(result: dict, pairs: list[dict], names: dict[str, str], position: int) -> dict:
    """The texts of the `position`-th disagreement (prompt, chosen, rejected as plain text) and a table of
    every checkpoint's scores on it (chosen, rejected, margin, decision)."""
    items = result.get("disagreements") or []
    if not 0 <= position < len(items):
        raise IndexError(f"there is no disagreement #{position + 1}")
    item = items[position]
    pair = _pair_of(item, pairs)
    scores = item.get("scores") or {}
    rows = []
    for key, margin in (item.get("margins") or {}).items():
        chosen, rejected = _score_pair(scores.get(key))
        rows.append([names.get(key, key), chosen, rejected, _round(margin), (item.get("decisions") or {}).get(key, "")])
    table = pd.DataFrame(rows, columns=["Checkpoint", "Score (chosen)", "Score (rejected)", "Margin", "Prefers"])
    return {"prompt": as_text(pair.get("prompt")), "chosen": as_text(pair.get("chosen")),
            "rejected": as_text(pair.get("rejected")), "scores": table,
            "title": f"Pair {item.get('index')} · disagreement {_round(item.get('size'), 2)}"}


def _score_pair(value) -> tuple:
    """(chosen, rejected) scores from {"chosen": x, "rejected": y} or [x, y]; (None, None) if absent."""
    if isinstance(value, dict):
        return _round(value.get("chosen")), _round(value.get("rejected"))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return _round(value[0]), _round(value[1])
    return None, None


# --- playground -----------------------------------------------------------------------------------
def parse_completions(text: str) -> list[str]:
    """Completions typed in one box, one per block, blocks separated by a line holding only '---'."""
    blocks, current = [], []
    for line in (text or "").splitlines():
        if line.strip() == COMPLETION_SEPARATOR:
            blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    blocks.append("\n".join(current))
    return [b.strip() for b in blocks if b.strip()]


def ranked_playground(frame: pd.DataFrame) -> pd.DataFrame:
    """The `evaluation.playground` table with the typed order kept as '#', best first by the first
    checkpoint's rank (every checkpoint's score and rank stay side by side)."""
    frame = frame.copy()
    frame.insert(0, "#", range(1, len(frame) + 1))
    frame = frame.rename(columns={"completion": "Completion"})
    ranks = [c for c in frame.columns if str(c).endswith(" rank")]
    if ranks:
        frame = frame.sort_values(ranks[0], kind="stable").reset_index(drop=True)
    for column in frame.columns:
        if str(column).endswith(" score"):
            frame[column] = frame[column].astype(float).round(4)
    return frame


def to_json_text(data) -> str:
    """Pretty JSON for a 'raw result' code box (NaN shown as null)."""
    return json.dumps(data, indent=2, default=str).replace("NaN", "null")
