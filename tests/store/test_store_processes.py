"""The store shared by real processes: labels survive SIGKILL; parallel annotators never collide."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from rmstudio.store import PreferenceStore
from tests.helpers.store_rows import candidates

ROOT = Path(__file__).resolve().parents[2]

LABEL_LOOP = textwrap.dedent("""
    import sys
    from rmstudio.store import PreferenceStore
    store = PreferenceStore(sys.argv[1])
    annotator, rounds = sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    for _ in range(rounds):
        pair = store.next_pair(annotator)
        if pair is None:
            break
        store.record_label(pair.id, "a", annotator)
        print(pair.id, flush=True)  # acknowledged: record_label has returned
""")


def _spawn(home: Path, annotator: str, rounds: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", LABEL_LOOP, str(home), annotator, str(rounds)],
                            stdout=subprocess.PIPE, text=True, env=env)


def test_every_acknowledged_label_survives_sigkill(tmp_path):
    PreferenceStore(tmp_path).import_batch(candidates(5000))
    proc = _spawn(tmp_path, "ann", 5000)
    assert proc.stdout.readline().strip() == "ready"
    acknowledged = [int(proc.stdout.readline()) for _ in range(150)]
    proc.send_signal(signal.SIGKILL)
    acknowledged += [int(line) for line in proc.stdout.read().split()]  # acks already in the pipe
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    reopened = PreferenceStore(tmp_path)
    stored = {row["pair_id"] for row in reopened.iter_labels()}
    assert len(acknowledged) >= 150
    assert set(acknowledged) <= stored


def test_eight_processes_label_800_distinct_pairs(tmp_path):
    PreferenceStore(tmp_path).import_batch(candidates(1000))
    procs = [_spawn(tmp_path, f"ann{i}", 100) for i in range(8)]
    outputs = [proc.communicate(timeout=300)[0].split()[1:] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)

    acknowledged = [int(x) for out in outputs for x in out]
    assert len(acknowledged) == 800
    assert len(set(acknowledged)) == 800  # nobody got a pair another process was labeling

    labels = list(PreferenceStore(tmp_path).iter_labels())
    assert len(labels) == 800
    assert sorted(row["pair_id"] for row in labels) == sorted(acknowledged)
    stats = PreferenceStore(tmp_path).stats()
    assert stats["remaining"] == 200
    assert json.dumps(stats)  # stats are plain JSON


def test_overlap_three_annotators_in_parallel_processes(tmp_path):
    store = PreferenceStore(tmp_path)
    store.import_batch(candidates(60))
    store.set_overlap(3)
    procs = [_spawn(tmp_path, f"ann{i}", 1000) for i in range(3)]
    outputs = [[int(x) for x in proc.communicate(timeout=300)[0].split()[1:]] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)

    for out in outputs:  # never twice to the same annotator
        assert len(out) == len(set(out))
    assert sum(len(out) for out in outputs) == 180  # every pair served to exactly 3 annotators
    per_pair = {}
    for row in PreferenceStore(tmp_path).iter_labels():
        per_pair.setdefault(row["pair_id"], set()).add(row["annotator"])
    assert len(per_pair) == 60 and all(len(names) == 3 for names in per_pair.values())
    assert store.next_pair("ann4") is None
