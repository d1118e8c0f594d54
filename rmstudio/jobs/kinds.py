"""Job kinds: what the engine needs to know to queue and run one kind of job (training, generation, ...).

The engine (`queue`, `worker`) knows no kind itself. A kind is declared by the module that implements it,
which calls `register` when it is imported; status.json records the kind's name and that module, so any
process (the app, the CLI, a worker started by another worker) can load the kind of any run.
The kinds rmstudio ships are listed by module path in `rmstudio.job_kinds` and imported when first asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rmstudio.errors import BadInput

UpdateStatus = Callable[..., dict]  # `rundir.update_status`: (run_dir, **fields) -> the new status
BUILT_IN_KINDS = "rmstudio.job_kinds"  # the module naming the shipped kinds: KINDS (name -> module), DEFAULT


@dataclass(frozen=True)
class AccelerateLaunch:
    """A run that goes through `accelerate launch`: N local processes, or an accelerate config file."""

    num_processes: int = 1
    config_file: str | None = None


def _anywhere(spec) -> str:
    return "auto"


def _in_one_process(spec) -> AccelerateLaunch | None:
    return None


def _from_the_start(run_dir: Path) -> str | None:
    return None


@dataclass(frozen=True)
class JobKind:
    """How the engine queues and runs one kind of job. Every callable gets the kind's spec object."""

    name: str
    """Recorded as status.json "kind" (and shown in run lists)."""
    spec_type: type
    """The spec class: `from_dict(dict)` reads spec.json (BadInput on a bad field), `to_json(path)` writes it."""
    prepare: Callable[[Any, Path, Path], dict]
    """(spec, home, run_dir) before a run is queued: check the spec (BadInput leaves no run), fill what it
    needs from `home`, write the files it runs on (a data snapshot); returns status fields to record,
    such as `data_pairs` (its size)."""
    run: Callable[[Any, Path, UpdateStatus | None], dict]
    """(spec, run_dir, update_status) in the worker: do the job, report progress through `update_status`
    (None in the ranks of a distributed run other than rank 0); returns the summary, whose optional
    "state" key is the final state (default succeeded)."""
    device: Callable[[Any], str] = _anywhere
    """The device queue of a run: "cpu", "cuda:0", ... or "auto" (may be any device: waits for every run)."""
    launch: Callable[[Any], AccelerateLaunch | None] = _in_one_process
    """How many processes run it: None = the worker itself."""
    resume: Callable[[Path], str | None] = _from_the_start
    """(run_dir) before a stopped run is queued again: prepare it to continue; returns what it continues
    from (recorded as `resumed_from`; None = from the start)."""
    module: str = field(default="", compare=False)
    """The module that registers this kind (default: the module of `run`); a worker imports it to load the kind."""

    def __post_init__(self) -> None:
        if not self.module:
            object.__setattr__(self, "module", self.run.__module__)

    def read_spec(self, data) -> Any:
        """The kind's spec from a spec object or a dict (spec.json's contents)."""
        if isinstance(data, self.spec_type):
            return data
        if isinstance(data, dict):
            return self.spec_type.from_dict(dict(data))
        raise BadInput(f"a {self.name} spec must be a {self.spec_type.__name__} or a dict, not {type(data).__name__}",
                       field="spec")


_REGISTERED: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Make `kind` known to the engine (in this process); returns it. Registering a name twice replaces it."""
    _REGISTERED[kind.name] = kind
    return kind


def kind_named(name: str, module: str | None = None) -> JobKind:
    """The kind called `name`, importing the shipped kind of that name, else `module` (which registers it),
    when it is not registered yet. A shipped kind is always loaded from its own module, whatever a run file
    says. An unknown kind is BadInput naming the kinds there are."""
    if name not in _REGISTERED:
        _import_kind_module(name, _built_in().KINDS.get(name) or module)
    if name not in _REGISTERED:
        known = sorted({*_REGISTERED, *_built_in().KINDS})
        raise BadInput(f"unknown job kind '{name}' (known kinds: {', '.join(known)})", field="kind")
    return _REGISTERED[name]


def _import_kind_module(name: str, module: str | None) -> None:
    if not module:
        return
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise BadInput(f"cannot load job kind '{name}' from module {module}: {exc}", field="kind") from exc


def kind_for(spec, name: str | None = None) -> JobKind:
    """The kind a submitted spec belongs to: the one named, else the one whose spec class it is, else a
    dict's "kind" key, else the default kind."""
    if name:
        return kind_named(name)
    for kind_name in _built_in().KINDS:
        kind_named(kind_name)
    for kind in _REGISTERED.values():
        if isinstance(spec, kind.spec_type):
            return kind
    named = spec.get("kind") if isinstance(spec, dict) else None
    return kind_named(named or _built_in().DEFAULT)


def kind_name_of(status: dict, spec: dict) -> str:
    """The kind name of a run from its files: status.json's, else spec.json's, else the default kind
    (runs written before status.json named their kind)."""
    return status.get("kind") or spec.get("kind") or _built_in().DEFAULT


def kind_of_run(status: dict, spec: dict) -> JobKind:
    """The kind of a run from its files, loaded from the module status.json names (BadInput if unknown)."""
    return kind_named(kind_name_of(status, spec), status.get("kind_module"))


def _built_in():
    return importlib.import_module(BUILT_IN_KINDS)
