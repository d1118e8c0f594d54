"""The preference store (SQLite, WAL): the only place with SQL.

`from rmstudio.store import PreferenceStore, Pair, CHOICES` is cheap (sqlite3, no datasets, pandas or
torch): `datasets` is imported when `to_dataset()` is called.
"""

from rmstudio.store.labeling import CHOICES
from rmstudio.store.pairs import Pair
from rmstudio.store.preference_store import PreferenceStore

__all__ = ["CHOICES", "Pair", "PreferenceStore"]
