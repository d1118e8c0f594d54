"""Raw HH-RLHF-style preference data the tests make themselves: `chosen`/`rejected` full dialogues
(`\\n\\nHuman: … \\n\\nAssistant: …`) with what real files hold — multi-turn talks, empty final replies with
and without a trailing space, versions that diverge before the last turn, markdown, very long replies,
non-ASCII text and emoji, and exact duplicate rows."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

HUMAN, ASSISTANT = "\n\nHuman:", "\n\nAssistant:"

QUESTIONS = [
    "How do I boil an egg?", "What's the capital of Australia?", "Can you help me write a haiku about autumn?",
    "How do I pick a lock?", "Explain recursion to a child.", "Wie spät ist es in Tokio?", "Où est la gare ?",
    "日本語で挨拶を教えてください。", "What's a good name for a cat 🐱?", "How can I hurt someone without getting caught?",
    "Give me a Python function that reverses a list.", "Is it safe to eat raw cookie dough?",
    "Tell me a joke about programmers.", "¿Cuál es la mejor manera de aprender a cocinar?", "Why is the sky blue?",
]
FOLLOW_UPS = ["Can you say more?", "Why?", "Thanks! And what about the other one?", "Hmm, are you sure?",
              "Ok. Anything else?", "That's not what I asked.", "Please be brief.", "Merci 🙏"]
REPLIES = [
    "Sure! Put it in boiling water for about nine minutes, then cool it in cold water.",
    "I'm sorry, but I can't help with that.", "Canberra — not Sydney, as many people think.",
    "Here is one:\n\n```python\ndef reverse(items):\n    return items[::-1]\n```\n\nIt returns a new list.",
    "**Short answer:** yes, mostly.\n\n- Use pasteurised eggs\n- Heat-treat the flour\n- Enjoy in moderation",
    "Crisp leaves falling / the old pond keeps the cold sky / a heron waits, still",
    "東京は今、夜の九時です。", "C'est tout droit, puis à gauche. 🚉", "Rayleigh scattering: short blue wavelengths "
    "scatter more in the atmosphere.", "Why would you want to know that?", "I don't know.", "Whiskers! 😺",
    "Recursion is when a function calls itself on a smaller piece of the problem, until the piece is tiny.",
]


@dataclass
class HHFile:
    """Records of a raw HH file, and what an import of it must report."""

    records: list[dict] = field(default_factory=list)
    empty_replies: list[dict] = field(default_factory=list)
    """{row, field, message} of every row whose final reply is empty (the import's expected warnings)."""
    duplicates: int = 0

    @property
    def unique_pairs(self) -> set[tuple[str, str]]:
        return {(r["chosen"], r["rejected"]) for r in self.records}


def _reply(rng: random.Random, long_every: int = 150) -> str:
    reply = rng.choice(REPLIES)
    if rng.randrange(long_every) == 0:  # a huge reply, as real data has a few
        reply = "\n\n".join(f"## Part {i}\n\n{reply}" for i in range(400))
    return " " + reply


def _history(rng: random.Random, turns: int) -> str:
    text = HUMAN + " " + rng.choice(QUESTIONS) + f" (#{rng.randrange(10**9)})"
    for _ in range(turns - 1):
        text += ASSISTANT + _reply(rng) + HUMAN + " " + rng.choice(FOLLOW_UPS)
    return text + ASSISTANT


def hh_records(n: int = 2100, seed: int = 10, empty_every: int = 40, diverge_every: int = 5,
               duplicate_every: int = 61) -> HHFile:
    """`n` rows (duplicates included) of raw HH data, deterministic for a seed."""
    rng = random.Random(seed)
    out = HHFile()
    while len(out.records) < n:
        row = len(out.records) + 1
        if out.records and row % duplicate_every == 0:
            earlier = rng.randrange(len(out.records))
            out.records.append(dict(out.records[earlier]))
            out.empty_replies += [{**w, "row": row} for w in out.empty_replies if w["row"] == earlier + 1]
            out.duplicates += 1
            continue
        history = _history(rng, rng.randint(1, 4))
        if row % diverge_every == 0:  # the versions part at an earlier assistant turn and go on differently
            chosen = history + _reply(rng) + HUMAN + " " + rng.choice(FOLLOW_UPS) + ASSISTANT + _reply(rng)
            rejected = history + " Hmm." + HUMAN + " " + rng.choice(FOLLOW_UPS) + ASSISTANT + _reply(rng)
        else:
            chosen, rejected = history + _reply(rng), history + _reply(rng)
        versions = {"chosen": chosen, "rejected": rejected}
        if row % empty_every == 0:  # an empty final reply, often the preferred answer to a harmful request
            empty = "" if row % (2 * empty_every) else " "  # with and without the trailing space
            which = "rejected" if row % (3 * empty_every) == 0 else "chosen"
            versions[which] = history + empty
            out.empty_replies.append({"row": row, "field": which,
                                      "message": "empty response" if not empty else "whitespace-only response"})
        if versions["chosen"] == versions["rejected"]:
            continue
        out.records.append(versions)
    return out
