"""rmstudio.ui.views.runs: what the Train tab shows, from run, status and metrics dicts (no browser, no model)."""

from __future__ import annotations

import json
import time

from rmstudio.jobs import queue as jobs
from rmstudio.ui.views import runs as run_views


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


def test_loss_and_accuracy_plots_share_one_step_range():
    records = [{"step": 2, "loss": 0.7, "accuracy": 0.5}, {"step": 4, "loss": 0.6}, {"step": 9, "eval_accuracy": 0.6}]
    loss, acc = run_views.metric_frames(records)
    assert run_views.step_domain(loss, acc) == [2.0, 9.0]  # the loss alone ends at 4, the eval point at 9
    assert run_views.step_domain(*run_views.metric_frames([{"step": 1, "loss": 0.7, "accuracy": 0.5}])) is None
    assert run_views.step_domain(*run_views.metric_frames([])) is None


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


def test_runs_dir_fingerprint_follows_every_runs_status(tmp_path):
    assert run_views.runs_dir_fingerprint(tmp_path / "none") == ""
    a, b = tmp_path / "20261125-090000-aaaa", tmp_path / "20261125-090001-bbbb"
    for run_dir in (a, b):
        run_dir.mkdir()
        jobs.update_status(run_dir, state="queued")
    before = run_views.runs_dir_fingerprint(tmp_path)
    jobs.update_status(b, state="running", pid=12345)
    assert run_views.runs_dir_fingerprint(tmp_path) != before


def test_a_run_with_a_null_status_still_renders_as_unreadable(tmp_path):
    run_dir = tmp_path / "runs" / "20261125-090000-aaaa"
    run_dir.mkdir(parents=True)
    (run_dir / "status.json").write_text("null")
    (run_dir / "spec.json").write_text('{"model": "default"}')
    runs = jobs.list_runs(tmp_path)
    table = run_views.runs_table(runs)
    assert table.iloc[0]["Status"] == "unreadable: status.json holds null, not a JSON object"
    followed = run_views.run_to_follow(runs)
    page = run_views.progress_html(jobs.status(tmp_path, followed["run_id"]))
    assert "unreadable: status.json holds null" in page
    loss, acc = run_views.metric_frames(jobs.read_metrics(tmp_path, followed["run_id"]))
    assert loss.empty and acc.empty and run_views.finished_checkpoints(runs) == []


def test_a_finished_run_shows_its_checkpoint_speed_and_truncated_pairs():
    summary = {"checkpoint": "/h/runs/a/checkpoint", "pairs_per_second": 41.26, "train_pairs": 1446,
               "eval_pairs": 161, "truncated_pairs": 325, "eval_accuracy": 0.66}
    page = run_views.progress_html({"run_id": "a", "state": "succeeded", "summary": summary})
    assert "checkpoint /h/runs/a/checkpoint" in page and "41.3 pairs/s" in page
    assert "325 of 1,607 pairs truncated" in page
    assert run_views.run_outcome_text({"state": "running", "summary": summary}) == ""  # not finished yet


def test_a_finished_run_s_summary_is_untrusted_text_and_numbers():
    summary = {"checkpoint": "<img src=x onerror=alert(1)>", "pairs_per_second": "fast", "train_pairs": 10,
               "eval_pairs": None, "truncated_pairs": 3}
    page = run_views.progress_html({"run_id": "a", "state": "succeeded", "summary": summary})
    assert "<img" not in page and "&lt;img" in page
    assert "pairs/s" not in page and "truncated" not in page
    assert run_views.run_outcome_text({"state": "succeeded", "summary": ["not", "a", "dict"]}) == ""


def test_train_stays_disabled_while_a_training_run_is_queued_or_running(tmp_path):
    run_dir = tmp_path / "runs" / "20261125-090000-aaaa"
    run_dir.mkdir(parents=True)
    (run_dir / "spec.json").write_text('{"model": "default"}')
    jobs.update_status(run_dir, state="queued")
    runs = jobs.list_runs(tmp_path)  # what every draw reads from disk, a reload's included
    assert run_views.active_training_run(runs)["run_id"] == "20261125-090000-aaaa"
    assert "is queued" in run_views.train_note(True, runs)
    assert "Only admins" in run_views.train_note(False, runs)
    jobs.update_status(run_dir, state="succeeded", summary={})
    runs = jobs.list_runs(tmp_path)
    assert run_views.active_training_run(runs) is None and run_views.train_note(True, runs) == ""
    generating = [{"run_id": "g", "kind": "generate", "state": "running"}]
    assert run_views.active_training_run(generating) is None  # a generation job does not block training
