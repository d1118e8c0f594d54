"""Where rmstudio keeps its files and which environment variables change its behaviour."""

from __future__ import annotations

import os
from pathlib import Path

from rmstudio.errors import BadInput

ENV_HOME = "RMSTUDIO_HOME"
ENV_AUTH = "RMSTUDIO_AUTH"  # "user:pass,user2:pass2"
ENV_ADMINS = "RMSTUDIO_ADMINS"  # "user,user2"
ENV_VISITORS = "RMSTUDIO_VISITORS"  # "train,compare": what non-admins may do beyond labeling (see access.py)
ENV_DEMO_MODE = "RMSTUDIO_DEMO_MODE"  # "1": cap training size so a public CPU Space stays responsive
ENV_MAX_UPLOAD_MB = "RMSTUDIO_MAX_UPLOAD_MB"  # largest file the Data tab accepts (default 200)
DEFAULT_MAX_UPLOAD_MB = 200
SPACES_DATA = Path("/data")


def on_spaces() -> bool:
    """True when running on Hugging Face Spaces."""
    return bool(os.environ.get("SPACE_ID"))


def demo_mode() -> bool:
    return os.environ.get(ENV_DEMO_MODE, "").strip().lower() in {"1", "true", "yes", "on"}


def max_upload_mb() -> int:
    """The largest upload in MB (`RMSTUDIO_MAX_UPLOAD_MB`, default 200): Gradio refuses bigger files before
    they reach the disk. Imports are read whole into memory, so an unbounded upload could exhaust it."""
    raw = os.environ.get(ENV_MAX_UPLOAD_MB, "").strip()
    if not raw:
        return DEFAULT_MAX_UPLOAD_MB
    if not raw.isdigit() or int(raw) < 1:
        raise BadInput(f"must be a whole number of megabytes (at least 1), got {raw!r}", field=ENV_MAX_UPLOAD_MB)
    return int(raw)


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    """`--home DIR`, else `RMSTUDIO_HOME`, else `/data/rmstudio` on Spaces when writable, else `./rmstudio_data`."""
    named = "--home"
    if home:
        path = Path(home)
    elif os.environ.get(ENV_HOME):
        path, named = Path(os.environ[ENV_HOME]), ENV_HOME
    elif on_spaces() and SPACES_DATA.is_dir() and os.access(SPACES_DATA, os.W_OK):
        path = SPACES_DATA / "rmstudio"
    else:
        path = Path("rmstudio_data")
    path = path.expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a parent (or the home itself) is a file, no permission, read-only disk
        raise BadInput(f"cannot use {path} as the data home: {_why_not_a_folder(path, error)}", field=named) from None
    return path


def _why_not_a_folder(path: Path, error: OSError) -> str:
    """What stops `path` from being a folder, in words: the file in its way, else the system's reason."""
    blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        return f"{blocker} is a file, not a folder"
    return error.strerror or str(error)


def runs_dir(home: Path) -> Path:
    path = Path(home) / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path
