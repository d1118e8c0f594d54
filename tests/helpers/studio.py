"""A StudioContext over a real store in a temp home, as every tab builder and handler receives it."""

from __future__ import annotations

from rmstudio.access import Access
from rmstudio.store import PreferenceStore
from rmstudio.ui.context import StudioContext


def make_ctx(tmp_path, access: Access | None = None, n: int = 3) -> StudioContext:
    store = PreferenceStore(tmp_path)
    store.add_candidates([{"prompt": f"q{i}", "response_a": f"first {i}", "response_b": f"second {i}",
                           "category": "c"} for i in range(n)])
    return StudioContext(home=tmp_path, store=store, access=access or Access(anonymous_admin=True))
