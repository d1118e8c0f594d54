"""Demo data rmstudio writes itself: candidate pairs to label, and labeled pairs a small model can learn.

All text here is written for rmstudio (nothing is copied from a dataset). The candidates
(`candidate_pairs`) seed a fresh home so the Label tab has something worth judging. The labeled pairs
(`labeled_pairs`) are built from templates with seeded random choices, so a one-click CPU training run
on the embedded MiniLM visibly learns: the preferred answer is helpful, correct, polite, on-topic and
complete where the other one is evasive, wrong, rude, off-topic or cut off.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

from rmstudio.data.demo_candidates import CANDIDATES

LABELED_FIELDS = ("prompt", "chosen", "rejected", "category")
CANDIDATE_FIELDS = ("prompt", "response_a", "response_b", "category")

# One task a line: the task as it follows "how to", a colon, then four steps in order separated by "; ".
TASK_TABLE = """
boil an egg so the yolk stays soft: lower the egg into boiling water; cook it for six and a half minutes; move it to a bowl of ice water for two minutes; peel it under running water
reset a home Wi-Fi router: find the small reset hole on the back; hold the button down with a paper clip for ten seconds; wait two minutes for the lights to settle; reconnect with the password printed on the label
start running as a beginner: plan three short sessions a week; alternate one minute of running with two minutes of walking; add a little running time each week; rest for a day between runs
keep basil alive indoors: put it on the sunniest windowsill you have; water it when the top of the soil feels dry; pinch off the flower buds; harvest leaves from the top of the stems
write a short cover letter: name the role you are applying for in the first line; give two results from past work that match the job; say why you want to work for this company; close with a clear thank-you
make a monthly budget: write down your take-home income; list fixed costs such as rent and bills; set limits for food, transport and fun; move a fixed amount to savings on payday
learn vocabulary in a new language: pick ten new words a day; review them with spaced-repetition flashcards; say each word aloud in a sentence; review old cards before adding new ones
remove a red wine stain from a shirt: blot the stain without rubbing it; rinse it from the back with cold water; work in a drop of dish soap; wash the shirt before the stain dries
prepare for a job interview: read about the company and its products; practise answers to common questions out loud; prepare two questions to ask them; plan your route so you arrive early
fall asleep faster: go to bed at the same time every night; put screens away an hour before bed; keep the bedroom cool and dark; avoid caffeine after lunch
cook fluffy rice on the stove: rinse the rice until the water runs clear; use one and a half cups of water per cup of rice; simmer it covered for fifteen minutes; let it rest for ten minutes before fluffing
back up the photos on my phone: turn on the phone's cloud photo backup; leave it on Wi-Fi and charging overnight; copy a second set to a computer or external drive; open a few photos from the backup to check it worked
pack a carry-on for a week away: choose clothes in two or three colours that match; roll your clothes instead of folding them; put liquids in a clear bag; wear your bulkiest shoes on the plane
undo my last git commit but keep the changes: open a terminal in the repository; run git reset --soft HEAD~1; check the staged files with git status; commit again when you are ready
clean a cast iron pan: rinse it with hot water while it is still warm; scrub stuck food off with coarse salt; dry it completely on the stove; rub in a thin layer of oil
sit with better posture at my desk: raise the screen to eye level; keep both feet flat on the floor; support your lower back with a cushion; stand up and stretch every half hour
read a nutrition label: check the serving size first; look at the calories per serving; compare sugar and salt with the daily values; read the ingredients, which are listed largest first
build an emergency fund: aim for three months of essential expenses; open a separate savings account; set up an automatic transfer on payday; use it only for real emergencies
write a clear email to my manager: put the main point in the subject line; state your request in the first sentence; add only the details they need; end with the decision or date you need from them
repot a houseplant: pick a pot one size larger with drainage holes; water the plant the day before; loosen the roots gently with your fingers; fill around it with fresh potting mix
memorise a short speech: split it into small sections; learn one section at a time; practise out loud while walking; rehearse it in front of a friend
speed up a slow laptop: restart it to clear the memory; stop programs that launch at startup; free up disk space; install pending system updates
pick a ripe watermelon: look for a creamy yellow spot underneath; choose one that feels heavy for its size; tap it and listen for a deep hollow sound; avoid melons with soft spots or cracks
plan a day trip by train: check the times of the first and last trains; book tickets early for lower fares; list two or three sights near the station; pack water, snacks and a phone charger
teach a puppy to sit: hold a treat just above its nose; move the treat slowly back over its head; say sit as its bottom touches the floor; reward it at once and repeat a few times
make cold brew coffee: mix one part coarse ground coffee with four parts cold water; stir and cover the jar; leave it in the fridge for twelve to eighteen hours; strain it through a paper filter
take sharper photos with my phone: wipe the lens clean; use soft light from a window; tap the subject to focus; hold the phone steady with both hands
study for a maths exam: redo the problems from your homework; time yourself on a practice test; write a one-page formula sheet; get a full night of sleep before the exam
get rid of fruit flies in the kitchen: throw out overripe fruit; empty and rinse the compost bin; set a trap of cider vinegar with a drop of soap; wipe the sink drain with hot soapy water
stop procrastinating on a big project: break the project into tasks of under an hour; start with the smallest task; work in twenty-five minute blocks; tell someone your deadline
"""
TASKS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (task, tuple(steps.split("; ")))
    for task, steps in (line.split(": ") for line in TASK_TABLE.strip().splitlines())
)

# fmt: off
ASK = ("How do I {t}?", "What's the best way to {t}?", "Can you explain how to {t}?", "I need to {t}. Where do I start?",
       "Any tips on how to {t}?", "Could you walk me through how to {t}?", "What steps should I follow to {t}?",
       "Quick question: how should I {t}?")
INTROS = ("Here's a simple way to do it:", "Sure! Follow these steps:", "Good question. Here is what works:",
          "Happy to help. Try this:", "Here's a step-by-step approach:", "Of course. Do it like this:")
OUTROS = ("", "That's it!", "Good luck!", "Let me know if you get stuck.", "Hope that helps!", "You've got this.")
ON_TOPIC = ("To {t}:", "Here's how to {t}:", "The easiest way to {t}:", "Sure, to {t}:")
DRIFTS = ("Here's how to {t} instead:", "Let me tell you how to {t}:", "Actually, a better question is how to {t}:",
          "On a different note, here's how to {t}:")
EVASIONS = ("I'm not able to help with that.", "It really depends, so it's hard to say.",
            "You can easily find that online.", "I'd rather not give advice on this.",
            "Everyone does it differently, so there's no single answer.", "That's not something I can answer.",
            "Maybe ask someone who knows more about it.", "There are lots of opinions on that.")
EVASION_ENDS = ("", "Sorry.", "Good luck with it.", "Try searching for it.", "It's up to you.")
POLITE = ("Sure, happy to help!", "Great question!", "Of course!", "No problem at all.", "Glad you asked!")
POLITE_ENDS = ("Hope that helps!", "Good luck!", "Feel free to ask if anything is unclear.", "Have a great day!")
RUDE = ("Seriously? Everyone knows this.", "Ugh, fine.", "What a lazy question.", "Did you even try searching?",
        "Wow. Really?", "This is basic stuff.")
RUDE_ENDS = ("Not that hard.", "Figure the rest out yourself.", "Don't ask me again.", "Honestly, it's obvious.",
             "Try thinking next time.")

# (question, correct answer, wrong answer stated with confidence)
FACTS: tuple[tuple[str, str, str], ...] = (
    ("What is the capital of Australia?", "The capital of Australia is Canberra, not Sydney as many people guess.", "Sydney, obviously."),
    ("How many continents are there?", "By the most common convention there are seven continents.", "There are five continents, everyone knows that."),
    ("At what temperature does water boil at sea level?", "At sea level water boils at 100 °C, which is 212 °F.", "Water boils at 90 °C. Simple."),
    ("Which planet is closest to the Sun?", "Mercury is the closest planet to the Sun.", "Venus, of course."),
    ("How many sides does a hexagon have?", "A hexagon has six sides; 'hex' means six.", "Eight sides. Easy."),
    ("Who wrote Romeo and Juliet?", "William Shakespeare wrote Romeo and Juliet, in the 1590s.", "Charles Dickens wrote it."),
    ("What gas do plants absorb from the air for photosynthesis?", "Plants absorb carbon dioxide and release oxygen during photosynthesis.", "They absorb oxygen. Obviously."),
    ("How many minutes are in three hours?", "Three hours is 3 × 60 = 180 minutes.", "It's 160 minutes."),
    ("What is the largest ocean on Earth?", "The Pacific Ocean is the largest, covering about a third of the planet.", "The Atlantic. Easy one."),
    ("What is the chemical symbol for gold?", "The chemical symbol for gold is Au, from the Latin word aurum.", "It's Gd."),
    ("How many bones does an adult human have?", "An adult human skeleton usually has 206 bones.", "About 150 bones, I think that's right."),
    ("What is the freezing point of water in Fahrenheit?", "Water freezes at 32 °F, which is 0 °C.", "0 °F, same as Celsius."),
    ("In which year did the Second World War end?", "The Second World War ended in 1945.", "It ended in 1939."),
    ("What is the longest river in South America?", "The Amazon is the longest river in South America.", "The Mississippi, definitely."),
    ("How many legs does a spider have?", "Spiders have eight legs, which is one way to tell them from insects.", "Six legs, like all bugs."),
    ("What is the square root of 144?", "The square root of 144 is 12, because 12 × 12 = 144.", "It's 14."),
    ("Which organ pumps blood around the body?", "The heart pumps blood around the body.", "The lungs do that."),
    ("What language is mainly spoken in Brazil?", "Portuguese is the main language of Brazil.", "Spanish, like the rest of South America."),
    ("How many days are in a leap year?", "A leap year has 366 days; February gets a 29th day.", "365, same as always."),
    ("What is the hardest natural material?", "Diamond is the hardest natural material.", "Steel is the hardest."),
)
SUMS = ("What is {a} {op} {b}?", "Can you work out {a} {op} {b}?", "Quick maths: {a} {op} {b} = ?",
        "Calculate {a} {op} {b} for me.")
BARE_ANSWERS = ("It's {w}.", "That's {w}.", "Easy: {w}.", "The answer is {w}.")
WRONG_TONES = ("", "Trust me.", "No need to check.", "Pretty sure.")
# fmt: on


def candidate_pairs() -> list[dict]:
    """Unlabeled candidate pairs (prompt, response_a, response_b, category) for the Label tab demo."""
    return [dict(zip(CANDIDATE_FIELDS, (p, a, b, c), strict=True)) for c, p, a, b in CANDIDATES]


def _steps(steps: tuple[str, ...], k: int) -> str:
    return "\n".join(f"{i}. {s[0].upper()}{s[1:]}." for i, s in enumerate(steps[:k], 1))


def _lines(*parts: str) -> str:
    return "\n".join(p for p in parts if p)


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _yours(task: str) -> str:
    """The task as the assistant says it back ("my phone" -> "your phone")."""
    return task.replace(" my ", " your ")


def _ask(rng: random.Random) -> tuple[str, tuple[str, ...], str]:
    task, steps = rng.choice(TASKS)
    return rng.choice(ASK).format(t=task), steps, task


def _helpfulness(rng: random.Random) -> tuple[str, str, str]:
    prompt, steps, _ = _ask(rng)
    chosen = _lines(rng.choice(INTROS), _steps(steps, rng.choice((3, 4))), rng.choice(OUTROS))
    return prompt, chosen, _join(rng.choice(EVASIONS), rng.choice(EVASION_ENDS))


def _politeness(rng: random.Random) -> tuple[str, str, str]:
    prompt, steps, _ = _ask(rng)
    first, second = steps[:2]
    body = f"{first[0].upper()}{first[1:]}, then {second}."
    chosen = _join(rng.choice(POLITE), body, rng.choice(POLITE_ENDS))
    return prompt, chosen, _join(rng.choice(RUDE), body, rng.choice(RUDE_ENDS))


def _relevance(rng: random.Random) -> tuple[str, str, str]:
    prompt, steps, task = _ask(rng)
    other_task, other_steps = rng.choice([t for t in TASKS if t[0] != task])
    chosen = _lines(rng.choice(ON_TOPIC).format(t=_yours(task)), _steps(steps, 3))
    rejected = _lines(rng.choice(DRIFTS).format(t=_yours(other_task)), _steps(other_steps, 3))
    return prompt, chosen, rejected


def _completeness(rng: random.Random) -> tuple[str, str, str]:
    prompt, steps, _ = _ask(rng)
    intro = rng.choice(INTROS)
    chosen = _lines(intro, _steps(steps, 4), rng.choice(OUTROS[1:]))
    done = rng.choice((1, 2))
    words = steps[done].split(" ")
    partial = " ".join(words[: rng.randrange(1, len(words) - 1)])
    cut_off = f"{intro}\n{_steps(steps, done)}\n{done + 1}. {partial[0].upper()}{partial[1:]}"
    return prompt, chosen, cut_off


def _arithmetic(rng: random.Random) -> tuple[str, str, str]:
    a, b = rng.randint(12, 499), rng.randint(3, 99)
    op = rng.choice("+-×")
    value = {"+": a + b, "-": a - b, "×": a * b}[op]
    wrong = value + rng.choice((-10, -2, -1, 1, 2, 10))
    prompt = rng.choice(SUMS).format(a=a, op=op, b=b)
    inverse = {"+": f"{value} - {b} = {a}", "-": f"{value} + {b} = {a}", "×": f"{value} ÷ {b} = {a}"}[op]
    work = f"{a} {op} {b} = {value}. Check: {inverse}."
    rejected = _join(rng.choice(BARE_ANSWERS).format(w=wrong), rng.choice(WRONG_TONES))
    return prompt, work, rejected


def _fact(rng: random.Random) -> tuple[str, str, str]:
    question, right, wrong = rng.choice(FACTS)
    prefix = rng.choice(("", "Quick question: ", "I always forget this. ", "Settle a debate for us: "))
    return prefix + question, right, _join(wrong, rng.choice(WRONG_TONES))


def _correctness(rng: random.Random) -> tuple[str, str, str]:
    return _fact(rng) if rng.random() < 0.4 else _arithmetic(rng)


GENERATORS: dict[str, Callable[[random.Random], tuple[str, str, str]]] = {
    "helpfulness": _helpfulness,
    "correctness": _correctness,
    "politeness": _politeness,
    "relevance": _relevance,
    "completeness": _completeness,
}


def labeled_pairs(n: int = 400, seed: int = 0) -> list[dict]:
    """`n` distinct labeled pairs (prompt, chosen, rejected, category), the same for the same seed.

    Categories take turns, so every category gets about n/5 pairs. A repeated (prompt, chosen, rejected)
    triple is drawn again; chosen and rejected always differ.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = random.Random(seed)
    names = list(GENERATORS)
    rows: list[dict] = []
    seen: set[tuple[str, str, str]] = set()
    attempts = 0
    while len(rows) < n:
        attempts += 1
        if attempts > 50 * n:
            raise ValueError(f"cannot make {n} distinct demo pairs")
        category = names[len(rows) % len(names)]
        triple = GENERATORS[category](rng)
        if triple in seen or triple[1] == triple[2]:
            continue
        seen.add(triple)
        rows.append(dict(zip(LABELED_FIELDS, (*triple, category), strict=True)))
    return rows


def _write_jsonl(rows: list[dict], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def write_labeled_demo(path: str | Path, n: int = 400, seed: int = 0) -> Path:
    """Write `labeled_pairs(n, seed)` as JSONL in the explicit schema (prompt, chosen, rejected, category)."""
    return _write_jsonl(labeled_pairs(n, seed), path)


def write_candidates_demo(path: str | Path) -> Path:
    """Write `candidate_pairs()` as JSONL in the candidates schema (prompt, response_a, response_b, category)."""
    return _write_jsonl(candidate_pairs(), path)
