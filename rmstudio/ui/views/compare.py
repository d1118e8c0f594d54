"""Evaluation results shaped into the Compare tab's table, plot frames, disagreement browser and playground.

Pure functions over the dict `evaluation.evaluate` returns (and its pairs): no gradio, no model.
"""

from __future__ import annotations

import html

import pandas as pd

from rmstudio.errors import BadInput
from rmstudio.evaluation.compare import short_names
from rmstudio.scoring import metrics
from rmstudio.ui.render import markdown_literal, plain_preview, plain_text
from rmstudio.ui.views.runs import format_share, is_number, round_or_none

COMPARE_COLUMNS = ["Checkpoint", "Accuracy", "95% interval", "Mean margin", "ECE", "Pairs/s"]
DISAGREEMENT_PREVIEW_CHARS = 90
# column widths (Gradio measures the others): the long text column gets a share, never the whole table,
# so the number columns after it stay in view
DISAGREEMENT_WIDTHS = ["64px", "80px", "130px", "40%"]
PLAYGROUND_WIDTHS = ["64px", "40%"]
COMPLETION_SEPARATOR = "---"
SIGNIFICANCE = 0.05  # a paired difference with p below this is called significant


def checkpoint_names(paths: list[str]) -> dict[str, str]:
    """Display names of checkpoint paths, the same the playground table uses (`evaluation.short_names`):
    the run id for run checkpoints, else the folder name (full paths when those would clash)."""
    paths = [str(p) for p in paths]
    return dict(zip(paths, short_names(paths), strict=True))


def _results(result: dict, names: dict[str, str]) -> list[tuple[str, dict]]:
    return [(names.get(str(r.get("checkpoint")), str(r.get("checkpoint"))), r) for r in result.get("results", [])]


def comparison_table(result: dict, names: dict[str, str]) -> pd.DataFrame:
    """One row per checkpoint: accuracy, its 95% interval, mean margin, ECE and scoring speed."""
    rows = []
    for name, r in _results(result, names):
        ci = r.get("accuracy_ci") or [None, None]
        interval = f"{format_share(ci[0])} – {format_share(ci[1])}" if is_number(ci[0]) else ""
        rows.append([name, format_share(r.get("accuracy")), interval, round_or_none(r.get("mean_margin")),
                     round_or_none(r.get("ece")), round_or_none(r.get("pairs_per_second"), 1)])
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)


def paired_comparisons(result: dict) -> list[dict]:
    """The result's paired comparisons ({a, b, difference, ci, p_value}); computed from the margins for
    results saved before `evaluate` reported them, [] when those are missing too."""
    if result.get("comparisons") is not None:
        return list(result["comparisons"])
    rows = result.get("results") or []
    if len(rows) < 2 or any(r.get("margins") is None for r in rows):
        return []
    return metrics.paired_comparisons({str(r["checkpoint"]): r["margins"] for r in rows})


def format_points(value: float) -> str:
    """An accuracy difference in percentage points, signed: 0.05 -> '+5.0'."""
    return f"{100 * value:+.1f}".replace("-", "−")


def format_p_value(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def comparison_line(row: dict, names: dict[str, str]) -> str:
    """One paired comparison in words: the accuracy difference of a over b with its 95% interval and the
    McNemar p-value, and whether the difference is significant (p < 0.05)."""
    a, b = (markdown_literal(names.get(str(row[k]), str(row[k]))) for k in ("a", "b"))
    difference, (low, high), p = row.get("difference"), row.get("ci") or [None, None], row.get("p_value")
    if not (is_number(difference) and is_number(low) and is_number(high) and is_number(p)):
        return f"**{a}** vs **{b}**: no pairs to compare."
    figures = (f"{format_points(difference)} points (95% interval {format_points(low)} to {format_points(high)}, "
               f"{format_p_value(p)})")
    if p >= SIGNIFICANCE:
        return f"**{a}** vs **{b}**: {figures} — no significant difference."
    better, worse = (a, b) if difference > 0 else (b, a)
    return f"**{a}** vs **{b}**: {figures} — **{better}** is significantly more accurate than {worse}."


def best_checkpoint(result: dict) -> str | None:
    """The checkpoint significantly more accurate than every other one (paired test), else None: a best
    is named only when the data show it, not when the accuracies differ by less than their noise."""
    rows = result.get("results") or []
    comparisons = paired_comparisons(result)
    if len(rows) < 2 or not comparisons:
        return None
    top = str(max(rows, key=lambda r: r.get("accuracy") if is_number(r.get("accuracy")) else -1)["checkpoint"])
    against = [c for c in comparisons if top in (str(c["a"]), str(c["b"]))]
    wins = [c for c in against if is_number(c.get("p_value")) and c["p_value"] < SIGNIFICANCE
            and (c["difference"] > 0) == (str(c["a"]) == top)]
    return top if against and len(wins) == len(against) else None


def comparison_summary(result: dict, names: dict[str, str]) -> str:
    """The Compare tab's summary: pairs scored, the best checkpoint only when it is significantly better
    than all others, each paired comparison (difference, interval, p-value), and how often they agree."""
    rows = result.get("results") or []
    parts = [f"Scored **{result.get('pairs')}** pairs."]
    best = best_checkpoint(result)
    if best is not None:
        accuracy = next(r.get("accuracy") for r in rows if str(r["checkpoint"]) == best)
        parts.append(f"Best: **{markdown_literal(names.get(best, best))}** ({format_share(accuracy)}), "
                     f"significantly more accurate than every other checkpoint.")
    lines = [comparison_line(row, names) for row in paired_comparisons(result)]
    for a in result.get("agreement") or []:
        parts.append(f"{markdown_literal(names.get(a['a'], a['a']))} and {markdown_literal(names.get(a['b'], a['b']))}"
                     f" agree on {format_share(a.get('agreement'))} of pairs.")
    if len(rows) > 1:
        parts.append(f"{len(result.get('disagreements') or [])} disagreements.")
    return "\n\n".join([" ".join(parts), *(f"- {line}" for line in lines)]) if lines else " ".join(parts)


def category_frame(result: dict, names: dict[str, str]) -> pd.DataFrame:
    """Accuracy per category and checkpoint for a bar plot, bars side by side grouped by category.

    Native bar plots stack the colors of one x value, so each checkpoint's bar gets its own x value: the
    category followed by as many zero-width spaces as the checkpoint's position (it reads as the category).
    """
    rows = [
        {"bar": cat + "\u200b" * position, "category": cat, "accuracy": float(v["accuracy"]), "checkpoint": name,
         "pairs": int(v.get("pairs", 0))}
        for position, (name, r) in enumerate(_results(result, names))
        for cat, v in sorted((r.get("per_category") or {}).items())
        if is_number(v.get("accuracy"))
    ]
    rows.sort(key=lambda row: (row["category"], row["bar"]))
    return pd.DataFrame(rows, columns=["bar", "category", "accuracy", "checkpoint", "pairs"])


def margin_hist_frame(result: dict, names: dict[str, str]) -> pd.DataFrame:
    """Margin histograms of all checkpoints on one axis: (margin = bin centre, share of pairs, checkpoint).

    Shares (not counts) so checkpoints overlay on the same scale; each checkpoint has its own bins.
    """
    rows = []
    for name, r in _results(result, names):
        hist = r.get("margin_hist") or {}
        edges, counts = hist.get("edges") or [], hist.get("counts") or []
        total = sum(counts) or 1
        for i, count in enumerate(counts[: max(0, len(edges) - 1)]):
            rows.append({"margin": (edges[i] + edges[i + 1]) / 2, "share": count / total, "checkpoint": name})
    return pd.DataFrame(rows, columns=["margin", "share", "checkpoint"])


PERFECT_CALIBRATION = "perfect calibration"
PALETTE = ("#2563eb", "#f97316", "#16a34a", "#db2777", "#7c3aed", "#0891b2", "#ca8a04", "#dc2626")


def series_colors(names: dict[str, str]) -> dict[str, str]:
    """The same color for a checkpoint in every plot, and grey for the perfect-calibration diagonal."""
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names.values())}
    colors[PERFECT_CALIBRATION] = "#9ca3af"
    return colors


def legend_html(colors: dict[str, str]) -> str:
    """One legend for all the Compare plots, as HTML that wraps: a legend drawn inside each narrow plot is cut
    off once checkpoint names are longer than a few characters (Vega lays it out on one line)."""
    items = "".join(
        f'<span class="rm-legend-item"><span class="rm-swatch" style="background:{color}"></span>'
        f"{html.escape(name)}</span>"
        for name, color in colors.items() if name != PERFECT_CALIBRATION)
    diagonal = (f'<span class="rm-legend-item"><span class="rm-swatch" style="background:{colors[PERFECT_CALIBRATION]}">'
                f"</span>{PERFECT_CALIBRATION} (reliability)</span>") if PERFECT_CALIBRATION in colors else ""
    return f'<div class="rm-legend">{items}{diagonal}</div>'


def reliability_frame(result: dict, names: dict[str, str]) -> pd.DataFrame:
    """Reliability diagram points (confidence, accuracy, checkpoint) of non-empty bins, plus the diagonal
    drawn as a dotted row of points (a scatter plot shows a checkpoint whose pairs all fall in one bin)."""
    rows = [{"confidence": c / 40, "accuracy": c / 40, "checkpoint": PERFECT_CALIBRATION} for c in range(20, 41)]
    for name, r in _results(result, names):
        for b in r.get("reliability") or []:
            if b.get("count") and is_number(b.get("confidence")) and is_number(b.get("accuracy")):
                rows.append({"confidence": float(b["confidence"]), "accuracy": float(b["accuracy"]), "checkpoint": name})
    return pd.DataFrame(rows, columns=["confidence", "accuracy", "checkpoint"])


def _pair_of(item: dict, pairs: list[dict]) -> dict:
    """The evaluated pair a disagreement points at: the full row when the pairs are at hand, else the
    item itself (evaluation results carry text previews)."""
    index = item.get("index")
    if isinstance(index, int) and 0 <= index < len(pairs):
        return pairs[index]
    return item


def disagreement_table(result: dict, pairs: list[dict], names: dict[str, str]) -> pd.DataFrame:
    """Pairs on which checkpoints disagree, largest disagreement first: #, size, prompt preview, and
    for each checkpoint whether it preferred the labeled 'chosen' response."""
    ckpts = [name for name, _ in _results(result, names)]
    rows = []
    for pos, item in enumerate(result.get("disagreements") or []):
        pair = _pair_of(item, pairs)
        decided = {names.get(k, k): v for k, v in (item.get("decisions") or {}).items()}
        row = {"#": pos + 1, "Pair": item.get("index"), "Disagreement": round_or_none(item.get("size"), 3),
               "Prompt": plain_preview(plain_text(pair.get("prompt")), DISAGREEMENT_PREVIEW_CHARS)}
        row.update({name: decided.get(name, "") for name in ckpts})
        rows.append(row)
    return pd.DataFrame(rows, columns=["#", "Pair", "Disagreement", "Prompt", *ckpts])


def disagreement_detail(result: dict, pairs: list[dict], names: dict[str, str], position: int) -> dict:
    """The texts of the `position`-th disagreement (prompt, chosen, rejected as plain text) and a table of
    every checkpoint's scores on it (chosen, rejected, margin, decision)."""
    items = result.get("disagreements") or []
    if not 0 <= position < len(items):
        raise BadInput(f"there is no disagreement #{position + 1}")
    item = items[position]
    pair = _pair_of(item, pairs)
    scores = item.get("scores") or {}
    rows = []
    for key, margin in (item.get("margins") or {}).items():
        chosen, rejected = _score_pair(scores.get(key))
        rows.append([names.get(key, key), chosen, rejected, round_or_none(margin), (item.get("decisions") or {}).get(key, "")])
    table = pd.DataFrame(rows, columns=["Checkpoint", "Score (chosen)", "Score (rejected)", "Margin", "Prefers"])
    return {"prompt": plain_text(pair.get("prompt")), "chosen": plain_text(pair.get("chosen")),
            "rejected": plain_text(pair.get("rejected")), "scores": table,
            "title": f"Pair {item.get('index')} · disagreement {round_or_none(item.get('size'), 3)}"}


def _score_pair(value) -> tuple:
    """(chosen, rejected) scores from {"chosen": x, "rejected": y} or [x, y]; (None, None) if absent."""
    if isinstance(value, dict):
        return round_or_none(value.get("chosen")), round_or_none(value.get("rejected"))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return round_or_none(value[0]), round_or_none(value[1])
    return None, None


# --- playground -----------------------------------------------------------------------------------
def parse_completions(text: str) -> list[str]:
    """Completions typed in one box, one per block, blocks separated by a line holding only '---'."""
    blocks, current = [], []
    for line in (text or "").splitlines():
        if line.strip() == COMPLETION_SEPARATOR:
            blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    blocks.append("\n".join(current))
    return [b.strip() for b in blocks if b.strip()]


def ranked_playground(frame: pd.DataFrame) -> pd.DataFrame:
    """The `evaluation.playground` table with the typed order kept as '#', best first by the first
    checkpoint's rank (every checkpoint's score and rank stay side by side)."""
    frame = frame.copy()
    frame.insert(0, "#", range(1, len(frame) + 1))
    frame = frame.rename(columns={"completion": "Completion"})
    ranks = [c for c in frame.columns if str(c).endswith(" rank")]
    if ranks:
        frame = frame.sort_values(ranks[0], kind="stable").reset_index(drop=True)
    for column in frame.columns:
        if str(column).endswith(" score"):
            frame[column] = frame[column].astype(float).round(4)
    return frame
