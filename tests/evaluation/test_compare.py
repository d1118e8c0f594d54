"""evaluate / playground / CLI eval on two real checkpoints trained for a few steps with different seeds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rmstudio.errors import BadInput
from rmstudio.evaluation import compare as evaluation
from rmstudio.evaluation.pairs import load_pairs
from rmstudio.scoring import metrics
from rmstudio.scoring.scorer import RewardScorer
from tests.helpers.checkpoints import checkpoint, copy_checkpoint, trained_run

pytestmark = pytest.mark.slow

RESULT_FIELDS = {
    "checkpoint",
    "accuracy",
    "accuracy_ci",
    "mean_margin",
    "ece",
    "pairs_per_second",
    "per_category",
    "reliability",
    "margin_hist",
    "margins",
}


@pytest.fixture(scope="module")
def two(tmp_path_factory) -> list[str]:
    """Private copies of two checkpoints (evaluations write into them)."""
    base = tmp_path_factory.mktemp("ckpts")
    return [str(copy_checkpoint(checkpoint(seed), base / f"seed{seed}")) for seed in (42, 7)]


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory) -> Path:
    from rmstudio.data import demo

    return demo.write_labeled_demo(tmp_path_factory.mktemp("data") / "eval.jsonl", n=60, seed=5)


@pytest.fixture(scope="module")
def report(two, pairs_file) -> dict:
    return evaluation.evaluate(two, str(pairs_file))


def direct_margins(ckpt: str, rows: list[dict]) -> list[float]:
    scorer = RewardScorer.from_pretrained(ckpt)
    prompts = [r["prompt"] for r in rows]
    chosen, rejected = (
        scorer.score(prompts, [r["chosen"] for r in rows]),
        scorer.score(prompts, [r["rejected"] for r in rows]),
    )
    return [c - r for c, r in zip(chosen, rejected, strict=True)]


def test_every_checkpoint_is_scored_on_the_same_pairs(report, two, pairs_file):
    rows, _ = load_pairs(str(pairs_file))
    assert report["pairs"] == len(rows) == 60
    assert [r["checkpoint"] for r in report["results"]] == two
    for result in report["results"]:
        assert set(result) == RESULT_FIELDS
        margins = direct_margins(result["checkpoint"], rows)
        assert result["margins"] == pytest.approx(
            margins, abs=0.03
        )  # separate batches: bf16 rounding differs
        assert result["accuracy"] == metrics.pairwise_accuracy(result["margins"])
        assert result["accuracy_ci"][0] <= result["accuracy"] <= result["accuracy_ci"][1]
        assert result["mean_margin"] == pytest.approx(sum(result["margins"]) / 60)
        assert len(result["reliability"]) == 10 and sum(b["count"] for b in result["reliability"]) == 60
        assert sum(result["margin_hist"]["counts"]) == 60
        assert result["ece"] == pytest.approx(metrics.expected_calibration_error(result["reliability"]))


def test_per_category_accuracy_is_the_share_of_each_categorys_pairs_ranked_right(report, pairs_file):
    rows, _ = load_pairs(str(pairs_file))
    for result in report["results"]:
        counts = {}  # category -> [pairs ranked right (chosen strictly above rejected), pairs]
        for row, margin in zip(rows, result["margins"], strict=True):
            tally = counts.setdefault(row["category"], [0, 0])
            tally[0] += margin > 0
            tally[1] += 1
        assert len(counts) > 1
        assert result["per_category"] == {
            category: {"accuracy": pytest.approx(right / pairs), "pairs": pairs}
            for category, (right, pairs) in counts.items()
        }


def test_agreement_and_disagreements(report, two, pairs_file):
    a, b = (r["margins"] for r in report["results"])
    [row] = report["agreement"]
    assert (row["a"], row["b"]) == tuple(two)
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if (x > 0) != (y > 0)]
    assert row["agreement"] == pytest.approx(1 - len(differ) / 60)
    items = report["disagreements"]
    assert sorted(item["index"] for item in items) == differ
    sizes = [item["size"] for item in items]
    assert sizes == sorted(sizes, reverse=True)
    rows, _ = load_pairs(str(pairs_file))
    for item in items:
        assert item["prompt"] == evaluation.preview(rows[item["index"]]["prompt"])
        assert item["category"] == rows[item["index"]]["category"]


def test_paired_comparison_of_the_two_checkpoints(report, two):
    a, b = (r["margins"] for r in report["results"])
    [row] = report["comparisons"]
    assert set(row) == {"a", "b", "difference", "ci", "p_value"} and (row["a"], row["b"]) == tuple(two)
    assert row["difference"] == pytest.approx(report["results"][0]["accuracy"] - report["results"][1]["accuracy"])
    assert row["p_value"] == metrics.mcnemar_exact(metrics.correct(a), metrics.correct(b))
    assert 0 < row["p_value"] <= 1 and row["ci"][0] <= row["difference"] <= row["ci"][1]


def test_results_are_saved_next_to_each_checkpoint(report, two):
    assert len(report["saved"]) == 2
    for ckpt, path in zip(two, report["saved"], strict=True):
        assert Path(path).parent == Path(ckpt) / "evals"
        history = evaluation.eval_history(ckpt)
        assert history[-1]["path"] == path
        assert history[-1]["results"][0]["accuracy"] == report["results"][0]["accuracy"]
    RewardScorer.from_pretrained(two[0], cache=False)  # the evals/ folder leaves the checkpoint loadable


def test_eval_file_in_another_schema(tmp_path, two):
    from rmstudio.data import demo

    rows = demo.labeled_pairs(12, seed=3)
    conversational = [
        {
            "prompt": [{"role": "user", "content": r["prompt"]}],
            "chosen": [{"role": "assistant", "content": r["chosen"]}],
            "rejected": [{"role": "assistant", "content": r["rejected"]}],
        }
        for r in rows
    ]
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in conversational))
    result = evaluation.evaluate(two[:1], str(path), save=False)
    assert result["pairs"] == 12 and result["saved"] == []
    assert result["results"][0]["per_category"] == {}
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"prompt": "p", "chosen": "a", "rejected": "b"})
        + "\n"
        + json.dumps({"prompt": "p", "chosen": "a"})
        + "\n"
    )
    with pytest.raises(BadInput) as caught:
        evaluation.evaluate(two[:1], str(bad))
    assert caught.value.row == 2 and "bad.jsonl" in str(caught.value)


def test_run_eval_split_is_the_trainers_held_out_set():
    run = trained_run()
    result = evaluation.evaluate([run["checkpoint"]], run["run_dir"], save=False)
    saved = json.loads((Path(run["checkpoint"]) / "eval.json").read_text())
    assert result["pairs"] == run["eval_pairs"] == saved["eval_pairs"]
    assert result["results"][0]["accuracy"] == saved["eval_accuracy"]  # one scorer made both


def test_store_pairs(tmp_path, two, pairs_file):
    from rmstudio.data.formats import read_source
    from rmstudio.store import PreferenceStore

    PreferenceStore(tmp_path).import_batch(read_source(str(pairs_file)))
    result = evaluation.evaluate(two[:1], "store", home=tmp_path, save=False)
    assert result["pairs"] == 60
    with pytest.raises(BadInput, match="no labeled pairs"):
        evaluation.evaluate(two[:1], "store", home=tmp_path / "empty", save=False)


def test_store_with_a_tool_response_pair_is_compared(tmp_path, two):
    from tests.evaluation.test_store_pairs import labeled_store

    labeled_store(tmp_path)
    result = evaluation.evaluate(two, "store", home=tmp_path, save=False)
    assert result["pairs"] == 2 and all(len(r["margins"]) == 2 for r in result["results"])


def test_bad_evaluation_requests(tmp_path, two):
    unlabeled = [{"prompt": "p", "response_a": "a", "response_b": "b"}]
    with pytest.raises(BadInput, match="unlabeled"):
        evaluation.evaluate(two[:1], unlabeled)
    with pytest.raises(BadInput, match="no rows"):
        evaluation.evaluate(two[:1], [])
    with pytest.raises(BadInput, match="twice"):
        evaluation.evaluate([two[0], two[0]], [{"prompt": "p", "chosen": "a", "rejected": "b"}])
    with pytest.raises(BadInput, match="at least one"):
        evaluation.evaluate([], [{"prompt": "p", "chosen": "a", "rejected": "b"}])
    with pytest.raises(BadInput, match="not a model checkpoint"):
        evaluation.evaluate([two[0], str(tmp_path)], [{"prompt": "p", "chosen": "a", "rejected": "b"}])
    assert not (Path(two[0]) / "evals" / "x").exists()


def test_playground_ranks_completions_per_checkpoint(two):
    completions = ["Paris is the capital of France.", "I don't know.", "London, probably.", "Paris."]
    table = evaluation.playground("What is the capital of France?", completions, two)
    names = evaluation.short_names(two)
    assert list(table.columns) == ["completion"] + [f"{n} {k}" for n in names for k in ("score", "rank")]
    assert len(table) == 4
    for name, ckpt in zip(names, two, strict=True):
        scores = RewardScorer.from_pretrained(ckpt).score(["What is the capital of France?"] * 4, completions)
        assert list(table[f"{name} score"]) == pytest.approx(scores, abs=1e-3)
        best = max(range(4), key=lambda i: scores[i])
        assert table[f"{name} rank"][best] == 1
        assert sorted(table[f"{name} rank"]) == [1, 2, 3, 4]
    with pytest.raises(BadInput):
        evaluation.playground("p", ["ok", ""], two)
    with pytest.raises(BadInput):
        evaluation.playground("p", [], two)


def run_cli(*args: str) -> tuple[int, dict]:
    done = subprocess.run(
        [sys.executable, "-m", "rmstudio", *args], capture_output=True, text=True, timeout=600
    )
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def test_cli_eval(two, pairs_file, tmp_path):
    code, result = run_cli("eval", *two, "--data", str(pairs_file), "--no-save")
    assert code == 0, result
    assert result["pairs"] == 60
    assert [r["checkpoint"] for r in result["results"]] == two
    for item in result["results"]:
        assert {"accuracy", "mean_margin", "ece", "pairs_per_second", "per_category"} <= set(item)
    [paired] = result["comparisons"]  # issue 12: the paired comparison of the two checkpoints
    assert (paired["a"], paired["b"]) == tuple(two) and len(paired["ci"]) == 2 and 0 <= paired["p_value"] <= 1
    assert paired["difference"] == pytest.approx(result["results"][0]["accuracy"] - result["results"][1]["accuracy"])
    run = trained_run()
    code, result = run_cli("eval", run["checkpoint"], "--no-save")  # default: the run's held-out pairs
    assert (
        code == 0
        and result["pairs"] == run["eval_pairs"]
        and result["data"] == str(Path(run["checkpoint"]).parent)
    )
    code, result = run_cli("eval", two[0], "--data", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "missing.jsonl" in result["error"]
    code, result = run_cli("eval", str(tmp_path), "--data", str(pairs_file))
    assert code == 2 and "checkpoint" in result["error"]


def test_an_evaluation_in_a_home_writes_only_under_it(tmp_path, two, pairs_file):
    home = tmp_path / "home"
    before = sorted((Path(two[0]) / "evals").glob("*"))
    report = evaluation.evaluate([two[0]], str(pairs_file), home=home, n_boot=50)
    [saved] = report["saved"]
    assert Path(saved).is_relative_to(home / "evals")
    assert sorted((Path(two[0]) / "evals").glob("*")) == before, "nothing written next to an outside checkpoint"
    assert evaluation.eval_history(two[0], home=home)[-1]["path"] == saved
