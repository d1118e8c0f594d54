"""run_views: what the Train and Compare tabs show, from run/metrics/evaluation dicts (no browser, no model)."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest

from rmstudio import jobs, run_views


def test_durations_and_shares_read_like_a_person_wrote_them():
    assert run_views.format_duration(None) == ""
    assert run_views.format_duration(42.4) == "42 s"
    assert run_views.format_duration(185) == "3 min 05 s"
    assert run_views.format_duration(3720) == "1 h 02 min"
    assert run_views.format_share(0.8125) == "81.2%"
    assert run_views.format_share(float("nan")) == ""


def test_runs_table_lists_status_size_accuracy_and_duration():
    runs = [
        {"run_id": "20261125-090000-aaaa", "state": "running", "model": "default", "data_pairs": 120,
         "eval_accuracy": None, "duration_seconds": 12.0, "started_at": time.time()},
        {"run_id": "20261125-080000-bbbb", "state": "succeeded", "model": "/models/my-bert", "data_pairs": 400,
         "eval_accuracy": 0.875, "duration_seconds": 95.0, "started_at": time.time() - 600},
    ]
    table = run_views.runs_table(runs)
    assert list(table.columns) == run_views.RUN_COLUMNS
    first, second = table.iloc[0].tolist(), table.iloc[1].tolist()
    assert first[:7] == ["20261125-090000-aaaa", "train", "running", "default (MiniLM)", 120, "", "12 s"]
    assert second[:7] == ["20261125-080000-bbbb", "train", "succeeded", "my-bert", 400, "87.5%", "1 min 35 s"]
    assert run_views.runs_table([]).empty


def test_the_page_follows_the_running_run_else_the_oldest_queued_else_the_newest():
    newest_first = [{"run_id": "c", "state": "queued"}, {"run_id": "b", "state": "queued"},
                    {"run_id": "a", "state": "succeeded"}]
    assert run_views.run_to_follow(newest_first)["run_id"] == "b"
    newest_first.append({"run_id": "z", "state": "running"})
    assert run_views.run_to_follow(newest_first)["run_id"] == "z"
    assert run_views.run_to_follow([{"run_id": "a", "state": "failed"}])["run_id"] == "a"
    assert run_views.run_to_follow([]) is None


def test_fingerprint_changes_when_metrics_grow_and_not_otherwise(tmp_path):
    run_dir = tmp_path / "20261125-090000-aaaa"
    run_dir.mkdir()
    jobs.update_status(run_dir, state="running")
    first = run_views.run_fingerprint(run_dir)
    assert run_views.run_fingerprint(run_dir) == first
    (run_dir / "metrics.jsonl").write_text(json.dumps({"step": 1, "loss": 0.7}) + "\n")
    second = run_views.run_fingerprint(run_dir)
    assert second != first
    with open(run_dir / "metrics.jsonl", "a") as f:
        f.write(json.dumps({"step": 2, "loss": 0.6}) + "\n")
    assert run_views.run_fingerprint(run_dir) != second
    assert run_views.run_fingerprint(tmp_path / "missing").endswith("-|-")


def test_metric_frames_split_loss_and_overlay_train_and_eval_accuracy():
    records = [
        {"step": 1, "loss": 0.69, "accuracy": 0.5},
        {"step": 2, "loss": 0.60, "accuracy": 0.6, "eval_accuracy": 0.55},
        {"step": 3, "eval_accuracy": 0.7},
        {"epoch": 1.0},  # no step: not plotted
        {"step": 4, "loss": float("nan")},
    ]
    loss, acc = run_views.metric_frames(records)
    assert loss.to_dict("records") == [{"step": 1, "loss": 0.69}, {"step": 2, "loss": 0.60}]
    assert acc[acc.split == "train"].step.tolist() == [1, 2]
    assert acc[acc.split == "eval"].accuracy.tolist() == [0.55, 0.7]
    empty_loss, empty_acc = run_views.metric_frames([])
    assert empty_loss.empty and list(empty_acc.columns) == ["step", "accuracy", "split"]


def test_progress_bar_shows_steps_eta_and_escapes_errors():
    running = {"run_id": "r1", "state": "running", "progress": {"step": 5, "total_steps": 20, "eta_seconds": 65}}
    page = run_views.progress_html(running)
    assert 'value="5" max="20"' in page and "step 5 / 20 (25%)" in page and "ETA 1 min 05 s" in page
    failed = {"run_id": "r2", "state": "failed", "error": "<script>alert(1)</script>"}
    page = run_views.progress_html(failed)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert run_views.progress_numbers({"state": "succeeded", "progress": {"step": 19, "total_steps": 20}})[:2] == (20, 20)
    assert "press Train" in run_views.progress_html(None)


def test_only_succeeded_training_runs_offer_checkpoints():
    runs = [{"run_id": "b", "state": "running", "run_dir": "/h/runs/b"},
            {"run_id": "g", "kind": "generate", "state": "succeeded", "run_dir": "/h/runs/g"},
            {"run_id": "a", "state": "succeeded", "run_dir": "/h/runs/a", "model": "default",
             "checkpoint": "/h/runs/a/checkpoint", "eval_accuracy": 0.9}]
    assert run_views.finished_checkpoints(runs) == [("a · default (MiniLM) · eval 90.0%", "/h/runs/a/checkpoint")]


def test_checkpoint_names_are_short_and_unique():
    names = run_views.checkpoint_names(["/h/runs/r1/checkpoint", "/x/model", "/y/model"])
    assert names == {"/h/runs/r1/checkpoint": "r1", "/x/model": "model", "/y/model": "model (2)"}


RESULT = {
    "pairs": 3,
    "results": [
        {"checkpoint": "/h/runs/r1/checkpoint", "accuracy": 2 / 3, "accuracy_ci": [0.33, 1.0], "mean_margin": 0.51234,
         "ece": 0.1, "pairs_per_second": 123.456, "per_category": {"math": {"accuracy": 1.0, "pairs": 1},
                                                                   "chat": {"accuracy": 0.5, "pairs": 2}},
         "reliability": [{"count": 2, "confidence": 0.6, "accuracy": 0.5}, {"count": 0, "confidence": None,
                                                                             "accuracy": None}],
         "margin_hist": {"edges": [-1.0, 0.0, 1.0], "counts": [1, 3]}},
        {"checkpoint": "/h/runs/r2/checkpoint", "accuracy": 1 / 3, "accuracy_ci": [0.0, 0.67], "mean_margin": -0.2,
         "ece": 0.3, "pairs_per_second": 99.0, "per_category": {}, "reliability": [],
         "margin_hist": {"edges": [], "counts": []}},
    ],
    "disagreements": [
        {"index": 2, "size": 0.4, "margins": {"/h/runs/r1/checkpoint": 1.0, "/h/runs/r2/checkpoint": -0.7},
         "decisions": {"/h/runs/r1/checkpoint": "chosen", "/h/runs/r2/checkpoint": "rejected"},
         "scores": {"/h/runs/r1/checkpoint": {"chosen": 2.0, "rejected": 1.0},
                    "/h/runs/r2/checkpoint": [0.1, 0.8]}},
        {"index": 0, "size": 0.1, "margins": {"/h/runs/r1/checkpoint": -0.1, "/h/runs/r2/checkpoint": 0.2},
         "decisions": {"/h/runs/r1/checkpoint": "rejected", "/h/runs/r2/checkpoint": "chosen"}},
    ],
}
PAIRS = [{"prompt": "p0", "chosen": "c0", "rejected": "r0"}, {"prompt": "p1", "chosen": "c1", "rejected": "r1"},
         {"prompt": [{"role": "user", "content": "<img src=x onerror=alert(1)>"}],
          "chosen": [{"role": "assistant", "content": "good"}], "rejected": "bad"}]


def test_comparison_frames_have_one_series_per_checkpoint():
    names = run_views.checkpoint_names([r["checkpoint"] for r in RESULT["results"]])
    table = run_views.comparison_table(RESULT, names)
    assert table.iloc[0].tolist() == ["r1", "66.7%", "33.0% – 100.0%", 0.512, 0.1, 123.5]
    cats = run_views.category_frame(RESULT, names)
    assert cats.to_dict("records") == [
        {"bar": "chat", "category": "chat", "accuracy": 0.5, "checkpoint": "r1", "pairs": 2},
        {"bar": "math", "category": "math", "accuracy": 1.0, "checkpoint": "r1", "pairs": 1}]
    two = {**RESULT, "results": [RESULT["results"][0], {**RESULT["results"][1], "per_category": {"chat": {
        "accuracy": 0.25, "pairs": 2}}}]}
    assert run_views.category_frame(two, names)[["bar", "checkpoint"]].values.tolist() == [
        ["chat", "r1"], ["chat\u200b", "r2"], ["math", "r1"]]
    hist = run_views.margin_hist_frame(RESULT, names)
    assert hist.to_dict("records") == [{"margin": -0.5, "share": 0.25, "checkpoint": "r1"},
                                       {"margin": 0.5, "share": 0.75, "checkpoint": "r1"}]
    rel = run_views.reliability_frame(RESULT, names)
    assert set(rel.checkpoint) == {"r1", run_views.PERFECT_CALIBRATION}
    assert rel[rel.checkpoint == "r1"].values.tolist() == [[0.6, 0.5, "r1"]]


def test_disagreements_keep_their_order_and_show_texts_as_plain_text():
    names = run_views.checkpoint_names([r["checkpoint"] for r in RESULT["results"]])
    table = run_views.disagreement_table(RESULT, PAIRS, names)
    assert table["Pair"].tolist() == [2, 0]
    assert table.iloc[0][["r1", "r2"]].tolist() == ["chosen", "rejected"]
    detail = run_views.disagreement_detail(RESULT, PAIRS, names, 0)
    assert detail["prompt"] == "user: <img src=x onerror=alert(1)>"
    assert detail["chosen"] == "assistant: good" and detail["rejected"] == "bad"
    assert detail["scores"].values.tolist() == [["r1", 2.0, 1.0, 1.0, "chosen"], ["r2", 0.1, 0.8, -0.7, "rejected"]]
    assert run_views.disagreement_detail(RESULT, PAIRS, names, 1)["scores"]["Score (chosen)"].isna().all()
    with pytest.raises(IndexError):
        run_views.disagreement_detail(RESULT, PAIRS, names, 5)


def test_completions_split_on_separator_lines_only():
    text = "first answer\nline two\n---\nsecond --- not a separator\n  ---  \n\n---\nthird"
    assert run_views.parse_completions(text) == ["first answer\nline two", "second --- not a separator", "third"]
    assert run_views.parse_completions("") == []


def test_playground_is_shown_best_first_keeping_the_typed_order_number():
    frame = pd.DataFrame({"completion": ["x", "y", "z"], "A score": [0.1, 2.0, 1.0], "A rank": [3, 1, 2],
                          "B score": [3.0, 0.0, 1.0], "B rank": [1, 3, 2]})
    table = run_views.ranked_playground(frame)
    assert table["Completion"].tolist() == ["y", "z", "x"] and table["#"].tolist() == [2, 3, 1]
    assert table["B rank"].tolist() == [3, 2, 1]


def test_runs_dir_fingerprint_follows_every_runs_status(tmp_path):
    assert run_views.runs_dir_fingerprint(tmp_path / "none") == ""
    a, b = tmp_path / "20261125-090000-aaaa", tmp_path / "20261125-090001-bbbb"
    for run_dir in (a, b):
        run_dir.mkdir()
        jobs.update_status(run_dir, state="queued")
    before = run_views.runs_dir_fingerprint(tmp_path)
    jobs.update_status(b, state="running", pid=12345)
    assert run_views.runs_dir_fingerprint(tmp_path) != before


def test_each_checkpoint_keeps_one_color_and_the_diagonal_is_grey():
    colors = run_views.series_colors({"/a": "A", "/b": "B"})
    assert colors["A"] != colors["B"] and colors[run_views.PERFECT_CALIBRATION] == "#9ca3af"
