"""Builders shared by several test packages: rows for real stores (`store_rows`), tiny trained
checkpoints (`checkpoints`) and a served app in a subprocess (`app_server`)."""
