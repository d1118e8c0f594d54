"""Every handler of the served app, called by fn_index through Gradio's queue as any HTTP client can: as a
non-admin login and as an anonymous client, each is refused except the declared annotator set, and no
handler lets a non-admin read labeled training text, score with a model, load a path or Hub id, or write a
file outside the labeling tables.

One real server (`python -m rmstudio serve`, two logins, RMSTUDIO_ADMINS naming one), probed over raw HTTP:
log in, read `/config`, then for each dependency `POST /gradio_api/queue/join` and read its SSE stream.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest

from rmstudio.store import PreferenceStore
from tests.helpers.app_server import start_server

LOGINS = {"alice": "alice-pw", "bob": "bob-pw"}
SECRET = "LABELED-SECRET-7f3a"  # only in labeled pairs: a non-admin must never read it back
ANNOTATOR_CALLS = {  # what an annotator may call (api names without Gradio's _1, _2 … suffixes)
    "on_load", "on_page_load", "label_rename", "label_undo", "on_undo", "label_left", "label_right", "label_tie",
    "label_both_bad", "label_skip", "on_progress", "on_suggest",
}
ANYONE_MAY_RUN = {"lambda"}  # tab switches and show/hide toggles; others are page turns (refused), checked for data
REFUSAL = re.compile(r"^(only admins may [^/]+|log in first)$")  # plain, and never naming a path
STORE_FILES = ("store.sqlite", "store.sqlite-wal", "store.sqlite-shm")


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    """A server over a home with labeled pairs holding SECRET, plus a model directory outside the home."""
    home = tmp_path_factory.mktemp("roles-home")
    outside = tmp_path_factory.mktemp("outside-model")
    (outside / "config.json").write_text("{}")
    store = PreferenceStore(home)
    labeled = store.add_candidates([{"prompt": f"{SECRET} prompt {i}", "response_a": f"{SECRET} chosen {i}",
                                     "response_b": f"{SECRET} rejected {i}"} for i in range(3)])
    for pair_id in labeled:
        store.record_label(pair_id, "a", "alice")
    store.add_candidates([{"prompt": f"open question {i}", "response_a": "yes", "response_b": "no"}
                          for i in range(4)])
    server = start_server(home, auth=[f"{user}:{password}" for user, password in LOGINS.items()],
                          env={"RMSTUDIO_ADMINS": "alice"})
    try:
        yield server, outside
    finally:
        server.stop()


def logged_in(url: str, user: str | None) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    if user:
        assert client.post("/login", data={"username": user, "password": LOGINS[user]}).status_code == 200
    return client


def call(client: httpx.Client, dependency: dict, data: list) -> dict:
    """Join the queue for one dependency and return its `process_completed` message (or the HTTP refusal)."""
    session = uuid.uuid4().hex
    event_data = {"index": [0, 0], "value": "", "selected": True} if dependency.get("collects_event_data") else None
    targets = dependency.get("targets") or []
    joined = client.post("/gradio_api/queue/join", json={
        "data": data, "fn_index": dependency["id"], "session_hash": session, "event_data": event_data,
        "trigger_id": targets[0][0] if targets else None})
    if joined.status_code != 200:
        return {"http": joined.status_code}
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError(f"no completion for fn_index {dependency['id']}")


def inputs_for(config: dict, dependency: dict, overrides: dict) -> list:
    """The dependency's inputs: each component's default from /config, or the value given by elem_id."""
    components = {c["id"]: c for c in config["components"]}
    values = []
    for component_id in dependency["inputs"]:
        props = components[component_id].get("props", {})
        values.append(overrides.get(props.get("elem_id"), props.get("value")))
    return values


def is_refused(message: dict) -> bool:
    """Refused with a plain message, or quietly: every output left as it is (an update with no value; a
    gr.State output is never sent, and none of them changed)."""
    if not message.get("success"):
        return bool(REFUSAL.match(str(message["output"].get("error"))))
    output = message["output"]
    return not output.get("changed_state_ids") and all(map(is_unchanged, output["data"]))


def is_unchanged(item) -> bool:
    """None (a gr.State output) or an update with no value (gr.HTML's nests an empty one under "props")."""
    return item is None or (isinstance(item, dict) and item.get("__type__") == "update" and all(
        key == "__type__" or (key == "props" and is_unchanged(value)) for key, value in item.items()))


def base_name(dependency: dict) -> str:
    return re.sub(r"_\d+$", "", dependency.get("api_name") or "")


def home_files(*roots: Path) -> dict:
    """Every file under the roots (but the store's tables and the server logs) -> (size, mtime)."""
    found = {}
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and path.name not in STORE_FILES and not path.name.startswith("server-"):
                found[str(path)] = (path.stat().st_size, path.stat().st_mtime_ns)
    return found


def probe_values(outside: Path) -> dict:
    """Hostile inputs by elem_id: model paths (real and missing), the labeled store as eval set."""
    return {"compare-extra": f"{outside}\n/no/such/rmstudio-model", "compare-source": "Labeled pairs in the store",
            "playground-prompt": "hi", "playground-completions": "yes\n---\nno", "train-model-source": "Local path",
            "train-model-text": str(outside), "rm-guidelines-edit": "hacked", "rm-gen-model": str(outside)}


def test_a_non_admin_is_refused_everything_but_labeling_and_learns_nothing(probed):
    server, outside = probed
    bob = logged_in(server.url, "bob")
    config = bob.get("/config").json()
    backend = [d for d in config["dependencies"] if d.get("backend_fn")]
    assert len(backend) > 50, "every handler of the app is enumerated"
    before = home_files(server.home, outside)
    answered = set()
    for overrides in ({}, probe_values(outside)):
        for dependency in backend:
            message = call(bob, dependency, inputs_for(config, dependency, overrides))
            name = base_name(dependency)
            text = json.dumps(message)
            assert SECRET not in text, f"{dependency['api_name']} returned labeled training text"
            assert str(outside) not in text and "rmstudio-model" not in text, f"{dependency['api_name']}: a path"
            if name in ANNOTATOR_CALLS:
                assert message.get("success"), (dependency["api_name"], json.dumps(message)[:600])
                answered.add(name)
            elif name not in ANYONE_MAY_RUN:
                assert is_refused(message), (dependency["api_name"], json.dumps(message["output"]["data"])[:600])
    assert answered == ANNOTATOR_CALLS, "every declared annotator handler was reached and answered"
    assert home_files(server.home, outside) == before, "a non-admin wrote a file outside the labeling tables"
    assert not (outside / "evals").exists()


def test_an_anonymous_client_is_refused_every_handler(probed):
    server, _ = probed
    config = logged_in(server.url, "bob").get("/config").json()
    anonymous = logged_in(server.url, None)
    assert anonymous.get("/config").status_code == 401
    for dependency in config["dependencies"]:
        if dependency.get("backend_fn"):
            assert call(anonymous, dependency, inputs_for(config, dependency, {})) == {"http": 401}, dependency


def test_the_admin_is_answered_by_the_same_probe(probed):
    """The probe itself works: the admin's calls to admin handlers are answered, not refused."""
    server, _ = probed
    alice = logged_in(server.url, "alice")
    config = alice.get("/config").json()
    named = {d.get("api_name"): d for d in config["dependencies"]}
    for api_name in ("stats", "browse_pairs", "pair_detail"):
        message = call(alice, named[api_name], inputs_for(config, named[api_name], {}))
        assert message.get("success") and not is_refused(message), (api_name, message)
    stats = call(alice, named["stats"], [])
    assert "pairs" in stats["output"]["data"][0]
    detail = call(alice, named["pair_detail"], [1])
    assert SECRET in json.dumps(detail), "an admin reads the labeled pairs (the secret is really there)"
