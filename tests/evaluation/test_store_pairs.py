"""Evaluating on the store reads its labeled pairs as stored, including chat pairs whose response is not an
"assistant" turn (a tool call labeled in the Label tab), instead of failing the whole comparison (issue 11)."""

from __future__ import annotations

from rmstudio.data.formats import normalize_records
from rmstudio.evaluation.pairs import load_pairs
from rmstudio.store import PreferenceStore

WEATHER = [{"role": "system", "content": "You may call get_weather(city)."},
           {"role": "user", "content": "Is it raining in Oslo?"}]
CANDIDATES = [
    {"prompt": [{"role": "user", "content": "What is 2+2?"}], "response_a": [{"role": "assistant", "content": "4"}],
     "response_b": [{"role": "assistant", "content": "5"}]},
    {"prompt": WEATHER, "response_a": [{"role": "tool", "content": '{"call": "get_weather", "city": "Oslo"}'}],
     "response_b": [{"role": "assistant", "content": "I cannot check the weather."}]},
]


def labeled_store(home) -> PreferenceStore:
    store = PreferenceStore(home)
    store.import_batch(normalize_records(CANDIDATES, source="candidates.jsonl"))
    for pair_id in (1, 2):
        store.record_label(pair_id, "a", "ana")
    return store


def test_store_pairs_with_a_tool_response_all_load(tmp_path):
    labeled_store(tmp_path)
    rows, name = load_pairs("store", home=tmp_path)
    assert name == "store" and len(rows) == 2
    assert rows[1] == {"prompt": WEATHER, "chosen": CANDIDATES[1]["response_a"],
                       "rejected": CANDIDATES[1]["response_b"]}
