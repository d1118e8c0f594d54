"""What the fields of a run's files must be: status.json, spec.json and metrics.jsonl are untrusted input.

Any process (or person) can write a run directory, so every reader takes these files through `rundir`,
which checks them here: a file that is not a JSON object, or a field of the wrong type, makes the run
"unreadable: <reason>" instead of breaking the reader (a run list, the Train tab, the queue).
"""

from __future__ import annotations

UNREADABLE = "unreadable"
STATES = ("queued", "running", "succeeded", "failed", "cancelled", "interrupted")
NUMBER = "number"
TEXT, WHOLE, OBJECT = str, int, dict

STATUS_FIELDS = {
    "run_id": TEXT, "state": TEXT, "pid": WHOLE, "worker_start_ticks": WHOLE, "launcher_pid": WHOLE, "device": TEXT, "kind": TEXT,
    "kind_module": TEXT, "created_at": NUMBER, "started_at": NUMBER, "finished_at": NUMBER,
    "cancel_requested_at": NUMBER, "cancel_deadline": NUMBER, "error": TEXT, "error_type": TEXT,
    "log_tail": TEXT, "progress": OBJECT, "summary": OBJECT, "data_pairs": WHOLE, "resumes": WHOLE,
    "resumed_from": TEXT,
}
PROGRESS_FIELDS = {"step": NUMBER, "total_steps": NUMBER, "eta_seconds": NUMBER, "epoch": NUMBER,
                   "elapsed_seconds": NUMBER}
SUMMARY_FIELDS = {"checkpoint": TEXT, "eval_accuracy": NUMBER}
SPEC_FIELDS = {"model": TEXT, "preset": TEXT, "kind": TEXT, "home": TEXT}
METRIC_FIELDS = dict.fromkeys(("step", "epoch", "loss", "accuracy", "margin", "eval_loss", "eval_accuracy",
                               "eval_margin", "learning_rate", "grad_norm", "elapsed", "eta"), NUMBER)


def unreadable(reason: str) -> dict:
    """The status of a run whose files cannot be trusted: state "unreadable", error "unreadable: <reason>"."""
    return {"state": UNREADABLE, "error": f"{UNREADABLE}: {reason}"}


def problem_with_object(data, fields: dict, name: str) -> str | None:
    """Why `data` (the parsed `name`) is not a JSON object whose `fields` have their types; None when it is."""
    if not isinstance(data, dict):
        return f"{name} holds {_json_type(data)}, not a JSON object"
    for field, kind in fields.items():
        value = data.get(field)
        if value is not None and not _has_type(value, kind):
            return f"{name} field '{field}' is {_json_type(value)}, not {_type_name(kind)}"
    return None


def problem_with_status(data) -> str | None:
    """Why status.json's contents cannot be used; None when they can."""
    problem = problem_with_object(data, STATUS_FIELDS, "status.json")
    if problem:
        return problem
    if data.get("state") not in (None, *STATES):
        return f"status.json field 'state' is {data['state']!r}, not one of {', '.join(STATES)}"
    return (problem_with_object(data.get("progress") or {}, PROGRESS_FIELDS, "status.json progress")
            or problem_with_object(data.get("summary") or {}, SUMMARY_FIELDS, "status.json summary"))


def _has_type(value, kind) -> bool:
    if isinstance(value, bool):
        return False
    if kind == NUMBER:
        return isinstance(value, (int, float))
    return isinstance(value, kind)


def _type_name(kind) -> str:
    return {NUMBER: "a number", TEXT: "a string", WHOLE: "an integer", OBJECT: "a JSON object"}[kind]


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "a JSON object"
