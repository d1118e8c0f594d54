"""Evaluations write only under the data home: a checkpoint outside it gets its results stored in the home,
keyed by its resolved path, and the history finds them there (no model needed: the report is a dict)."""

from __future__ import annotations

from pathlib import Path

from rmstudio.evaluation import compare as evaluation


def checkpoint_dir(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "config.json").write_text("{}")
    return path


def test_a_checkpoint_outside_the_home_gets_its_evals_in_the_home_keyed_by_path(tmp_path):
    home, outside = tmp_path / "home", checkpoint_dir(tmp_path / "elsewhere" / "ckpt")
    other = checkpoint_dir(tmp_path / "elsewhere" / "other")
    inside = checkpoint_dir(home / "runs" / "r1" / "checkpoint")
    saved = evaluation.save_report({"pairs": 3, "results": []}, [str(outside), str(inside), "owner/hub-model"],
                                   home=home)
    assert len(saved) == 2
    assert not (outside / "evals").exists(), "nothing is written into a directory outside the home"
    assert Path(saved[0]).is_relative_to(home / "evals") and Path(saved[1]).parent == inside / "evals"
    assert [h["path"] for h in evaluation.eval_history(outside, home=home)] == [saved[0]]
    assert evaluation.eval_history(other, home=home) == [], "another path has another key"
    relative = Path("elsewhere") / ".." / "elsewhere" / "ckpt"
    assert evaluation.evals_folder(tmp_path / relative, home) == Path(saved[0]).parent, "keyed by resolved path"
    assert evaluation.eval_history(str(inside), home=home)[0]["pairs"] == 3
