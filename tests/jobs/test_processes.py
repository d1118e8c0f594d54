"""No worker stays a zombie (<defunct>) under the process that started it, nor under the app when the app is
the subreaper of the workers that workers start (the next queued run), as a container's pid 1 would be."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

DISPATCHER = r"""
import ctypes, json, sys, time
from pathlib import Path
if sys.argv[2] == "subreaper":
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphaned descendants come to us
from rmstudio.jobs import queue as jobs
from tests.jobs.test_kinds import EchoSpec, finished

home = sys.argv[1]
runs = [jobs.submit(home, EchoSpec(words=["a", "b"])) for _ in range(2)]  # the second waits; the first's worker starts it
states = [finished(home, run)["state"] for run in runs]

def children():
    kids = []
    for task in Path("/proc/self/task").iterdir():
        kids += (task / "children").read_text().split()
    return {pid: Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] for pid in kids
            if Path(f"/proc/{pid}").exists()}

deadline = time.time() + 60
while any(s == "Z" for s in children().values()) and time.time() < deadline:
    jobs.list_runs(home)  # what the app does on every page tick
    time.sleep(0.1)
print(json.dumps({"states": states, "children": children()}))
"""


@pytest.mark.parametrize("parent", ["plain", "subreaper"])
def test_no_finished_worker_stays_a_zombie_under_the_process_that_dispatched_it(tmp_path, parent):
    if not Path("/proc/self/task").is_dir():
        pytest.skip("no /proc")
    proc = subprocess.run([sys.executable, "-c", DISPATCHER, str(tmp_path), parent], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["states"] == ["succeeded", "succeeded"]
    assert "Z" not in out["children"].values(), out
