"""The preference store (SQLite, WAL): the only place with SQL."""
