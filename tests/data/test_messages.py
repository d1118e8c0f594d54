"""One value type per text column: plain texts become messages only when the set has messages."""

from __future__ import annotations

from rmstudio.data.messages import one_type_per_column

USER = {"role": "user", "content": "hi"}
REPLY = {"role": "assistant", "content": "hello"}


def test_plain_rows_stay_as_they_are():
    rows = [{"prompt": "p", "chosen": "c", "rejected": "r", "id": "1"}]
    assert one_type_per_column(rows) == rows


def test_with_messages_anywhere_every_plain_text_becomes_one_message():
    rows = [{"prompt": [USER], "chosen": [REPLY], "rejected": [REPLY], "id": "chat"},
            {"prompt": "p", "chosen": "c", "rejected": "r", "id": "plain"}]
    assert one_type_per_column(rows) == [
        rows[0],
        {"prompt": [{"role": "user", "content": "p"}], "chosen": [{"role": "assistant", "content": "c"}],
         "rejected": [{"role": "assistant", "content": "r"}], "id": "plain"},
    ]


def test_an_empty_prompt_is_no_messages_and_a_missing_response_stays_missing():
    rows = [{"prompt": [USER], "chosen": [REPLY], "rejected": [REPLY]},
            {"prompt": "", "chosen": "", "rejected": None}]
    assert one_type_per_column(rows)[1] == {"prompt": [], "chosen": [{"role": "assistant", "content": ""}],
                                            "rejected": None}
