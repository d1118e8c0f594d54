"""Where rmstudio keeps its files and which environment variables change its behaviour."""

from __future__ import annotations

import os
from pathlib import Path

ENV_HOME = "RMSTUDIO_HOME"
ENV_AUTH = "RMSTUDIO_AUTH"  # "user:pass,user2:pass2"
ENV_ADMINS = "RMSTUDIO_ADMINS"  # "user,user2"
ENV_VISITORS = "RMSTUDIO_VISITORS"  # "train,compare": what non-admins may do beyond labeling (see access.py)
ENV_DEMO_MODE = "RMSTUDIO_DEMO_MODE"  # "1": cap training size so a public CPU Space stays responsive
SPACES_DATA = Path("/data")


def on_spaces() -> bool:
    """True when running on Hugging Face Spaces."""
    return bool(os.environ.get("SPACE_ID"))


def demo_mode() -> bool:
    return os.environ.get(ENV_DEMO_MODE, "").strip().lower() in {"1", "true", "yes", "on"}


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    """`--home DIR`, else `RMSTUDIO_HOME`, else `/data/rmstudio` on Spaces when writable, else `./rmstudio_data`."""
    if home:
        path = Path(home)
    elif os.environ.get(ENV_HOME):
        path = Path(os.environ[ENV_HOME])
    elif on_spaces() and SPACES_DATA.is_dir() and os.access(SPACES_DATA, os.W_OK):
        path = SPACES_DATA / "rmstudio"
    else:
        path = Path("rmstudio_data")
    path = path.expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_dir(home: Path) -> Path:
    path = Path(home) / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path
