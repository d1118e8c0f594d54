"""Error toasts are plain text: Gradio renders a gr.Error's message as HTML, so a message quoting user text
(a column named `<img src=x onerror=...>`) must come out escaped; expected input errors log one line, no
traceback (issue 11)."""

from __future__ import annotations

import csv
import html
import logging

import gradio as gr
import pytest

from rmstudio.access import NotAllowed
from rmstudio.data.formats import read_source
from rmstudio.ui.context import shows_errors

PAYLOAD = '<img src="http://127.0.0.1:9/steal" onerror="alert(1)">'


def toast_of(handler, *args) -> gr.Error:
    with pytest.raises(gr.Error) as caught:
        handler(*args)
    return caught.value


def test_a_column_name_with_markup_shows_as_text_in_the_error(tmp_path):
    path = tmp_path / "survey.csv"
    with path.open("w", newline="", encoding="utf-8") as out:  # a survey export whose header was tampered with
        csv.writer(out).writerows([["question", PAYLOAD, "worse"], ["Hi?", "Hello!", "Go away."]])
    error = toast_of(shows_errors(read_source), str(path))
    assert "<img" not in error.message and '&lt;img src="http://127.0.0.1:9/steal" onerror="alert(1)"&gt;' in error.message
    assert html.unescape(error.message).startswith(f"{path}, row 2, field 'chosen': columns [")
    assert PAYLOAD in html.unescape(error.message)


def test_failures_and_refusals_are_escaped_too():
    def load(_):
        raise OSError(f"cannot open {PAYLOAD}")

    assert toast_of(shows_errors(failure="Comparison failed")(load), 1).message == \
        html.escape(f"Comparison failed: cannot open {PAYLOAD}", quote=False)

    def refuse(_):
        raise NotAllowed(f"only admins may load {PAYLOAD}")

    assert toast_of(shows_errors(refuse), 1).message == html.escape(f"only admins may load {PAYLOAD}", quote=False)


def test_expected_input_errors_log_one_line_and_no_traceback(tmp_path, caplog):
    missing = str(tmp_path / "nope.jsonl")
    with caplog.at_level(logging.WARNING, logger="rmstudio.ui.context"):
        error = toast_of(shows_errors(read_source), missing)
    assert error.print_exception is False  # Gradio's queue prints a traceback unless this is False
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records] == \
        [("WARNING", f"read_source refused: {missing}: no such file or folder", None)]
