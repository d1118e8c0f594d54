"""Bad inputs that used to escape as generic errors (RecursionError, UnicodeEncodeError, "not valid JSON" for
UTF-16) are BadInput with a message naming the file, the row and the field; nothing is stored (issue 11)."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rmstudio.data.formats import read_source
from rmstudio.errors import BadInput
from rmstudio.store import PreferenceStore

GOOD = {"prompt": "How do I reverse a list in Python?", "chosen": "Use `xs[::-1]` or `xs.reverse()`.",
        "rejected": "You can't."}

ROOT = Path(__file__).resolve().parents[2]


def message_of(source) -> str:
    with pytest.raises(BadInput) as caught:
        read_source(str(source))
    return str(caught.value)


def import_cli(home, source) -> tuple[int, dict]:
    done = subprocess.run([sys.executable, "-m", "rmstudio", "import", str(source), "--home", str(home)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def test_deeply_nested_json_line_says_nesting_too_deep_and_names_the_line(tmp_path):
    # a broken generator that kept wrapping the reply in lists
    bad = '{"prompt": "Summarize", "chosen": ' + "[" * 50_000 + "]" * 50_000 + ', "rejected": "no"}'
    path = tmp_path / "scraped.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + bad + "\n", encoding="utf-8")
    assert message_of(path) == f"{path}, row 2: JSON nesting too deep: more levels of [ and {{ than can be read"
    code, out = import_cli(tmp_path / "home", path)
    assert code == 2 and out["kind"] == "bad_input" and "nesting too deep" in out["error"]
    assert PreferenceStore(tmp_path / "home").count_pairs() == 0


def test_deeply_nested_json_array_names_the_line(tmp_path):
    records = json.dumps([GOOD, GOOD | {"prompt": "Q2"}], indent=1).splitlines()
    nested = "[" * 50_000 + "]" * 50_000
    path = tmp_path / "export.json"
    path.write_text("\n".join(records[:-1]) + ',\n {"prompt": "Q3", "chosen": ' + nested + ', "rejected": "x"}\n]',
                    encoding="utf-8")
    line = len(records)  # the record after the two good ones starts on the array's closing-bracket line
    assert message_of(path) == f"{path}: JSON nesting too deep at line {line}: more levels of [ and {{ than can be read"


def test_deeply_nested_csv_cell_stays_text(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text("prompt,chosen,rejected\nQ," + "[" * 5000 + "]" * 5000 + ",fine\n", encoding="utf-8")
    assert read_source(str(path)).rows[0]["chosen"] == "[" * 5000 + "]" * 5000


def test_lone_surrogate_names_file_row_and_field_and_stores_nothing(tmp_path):
    # an exporter that cut "🙂" (\ud83d\ude42) in the middle of its surrogate pair
    path = tmp_path / "chats.jsonl"
    path.write_text(json.dumps(GOOD) + "\n"
                    + '{"prompt": "Say hi", "chosen": "Hi there \\ud83d", "rejected": "Go away."}\n', encoding="utf-8")
    assert message_of(path) == (f"{path}, row 2, field 'chosen': lone surrogate \\ud83d (half of a character, "
                                "e.g. an emoji cut in two): fix or remove it")
    code, out = import_cli(tmp_path / "home", path)
    assert code == 2 and "lone surrogate" in out["error"] and "row 2, field 'chosen'" in out["error"]
    assert PreferenceStore(tmp_path / "home").count_pairs() == 0


def test_lone_surrogate_inside_chat_messages_names_the_message_field(tmp_path):
    row = {"prompt": [{"role": "user", "content": "hello"}], "chosen": [{"role": "assistant", "content": "ok"}],
           "rejected": [{"role": "assistant", "content": "bad \udc00"}]}
    path = tmp_path / "conv.json"
    path.write_text(json.dumps([row]), encoding="utf-8")
    assert message_of(path) == (f"{path}, row 1, field 'rejected': lone surrogate \\udc00 (half of a character, "
                                "e.g. an emoji cut in two): fix or remove it")


def test_a_whole_emoji_escaped_as_a_surrogate_pair_is_fine(tmp_path):
    path = tmp_path / "ok.jsonl"
    path.write_text('{"prompt": "Smile", "chosen": "\\ud83d\\ude42", "rejected": "no"}\n', encoding="utf-8")
    assert read_source(str(path)).rows[0]["chosen"] == "🙂"


@pytest.mark.parametrize("name, encoding, bom", [("notepad.jsonl", "utf-16-le", codecs.BOM_UTF16_LE),
                                                 ("excel.csv", "utf-16-le", codecs.BOM_UTF16_LE),
                                                 ("mac.json", "utf-16-be", b""),
                                                 ("no-bom.jsonl", "utf-16-le", b"")])
def test_utf16_files_are_named_as_utf16(tmp_path, name, encoding, bom):
    text = ("prompt,chosen,rejected\nWhat's 2+2?,4,5\n" if name.endswith(".csv")
            else json.dumps([GOOD]) if name.endswith(".json") else json.dumps(GOOD) + "\n")
    path = tmp_path / name
    path.write_bytes(bom + text.encode(encoding))
    assert message_of(path) == f"{path}: file is UTF-16; save it as UTF-8"


def test_utf8_with_bom_and_non_latin_text_is_not_mistaken_for_utf16(tmp_path):
    path = tmp_path / "ru.jsonl"
    path.write_bytes(codecs.BOM_UTF8 + (json.dumps({"prompt": "Привет", "chosen": "Здравствуйте", "rejected": "нет"},
                                                   ensure_ascii=False) + "\n").encode("utf-8"))
    assert read_source(str(path)).rows[0]["prompt"] == "Привет"


def test_duplicate_ids_with_different_content_are_a_warning_and_both_kept(tmp_path):
    rows = [GOOD | {"id": "q-17"}, {"prompt": "Capital of France?", "chosen": "Paris", "rejected": "Lyon", "id": "q-17"},
            GOOD | {"id": "q-18"}]
    path = tmp_path / "ids.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    batch = read_source(str(path))
    assert batch.warnings == [{"row": 2, "field": "id",
                               "message": "id 'q-17' is also row 1's, with different content (both kept)"}]
    assert len(batch.rows) == 3


def test_the_same_id_on_identical_content_is_no_warning(tmp_path):
    path = tmp_path / "twice.jsonl"
    path.write_text((json.dumps(GOOD | {"id": 7}) + "\n") * 2, encoding="utf-8")
    assert read_source(str(path)).warnings == []
