"""The Label tab: one pair at a time, two responses side by side, judged by click or keyboard.

The handlers below (`show_next`, `judge`, `undo`) are plain functions of the context and the annotator,
returning a `LabelScreen`; the Gradio wiring at the bottom only maps screens to components. That keeps
them testable without a browser and lets bench/label_bench.py time exactly what a click costs.
"""

from __future__ import annotations

import html
import secrets
from dataclasses import dataclass

import gradio as gr

from rmstudio.access import ADMIN, ANNOTATOR, ANYONE, browser_secret
from rmstudio.errors import BadInput
from rmstudio.labeling.guidelines import read_guidelines, save_guidelines
from rmstudio.store import Pair
from rmstudio.ui.context import StudioContext, shows_errors
from rmstudio.ui.render import markdown_html, message_html, panel

SIDES = ("left", "right", "tie", "both_bad", "skip")
BUTTONS = (  # (side, label, elem_id, keys shown on the button)
    ("left", "A is better", "rm-left-better", "1 / a"),
    ("right", "B is better", "rm-right-better", "2 / b"),
    ("tie", "Tie", "rm-tie", "t"),
    ("both_bad", "Both bad", "rm-both-bad", "x"),
    ("skip", "Skip", "rm-skip", "s"),
)
SHORTCUTS_HELP = ("Keys: **1** or **a** — A (left) is better · **2** or **b** — B (right) is better · **t** tie · "
                  "**x** both bad · **s** skip · **u** undo")
EMPTY_MESSAGE = ("### Nothing left to label\nEvery pair in the store has its labels. Import more pairs in the "
                 "**Data** tab, or train a reward model on your labels in the **Train** tab.")


@dataclass(frozen=True)
class LabelScreen:
    """What the Label tab shows after an action: the pair (or the empty state) and a notice.

    The progress line is not part of it: counting 100k pairs costs more than serving the next one, so
    the page fetches it (`progress_line`) in a follow-up request once the next pair is on screen.
    """

    pair_id: int | None
    left: str | None
    prompt_html: str
    left_html: str
    right_html: str
    notice: str = ""

    @property
    def empty(self) -> bool:
        return self.pair_id is None


def choice_for(side: str, left: str) -> str:
    """Map what the annotator pressed (left/right/…) to the store's choice (a/b name response_a/response_b)."""
    if side not in SIDES:
        raise BadInput(f"unknown judgement {side!r}; expected one of {', '.join(SIDES)}", field="choice")
    if side == "left":
        return left
    if side == "right":
        return "b" if left == "a" else "a"
    return side


def progress_line(ctx: StudioContext, annotator: str) -> str:
    """"alice labeled 12 today (1 skipped) · 88 of 100 pairs left to label" (Markdown, the name escaped).

    Counted as the store defines it (store/queries.py): a skip is no label and leaves the pair to label.
    """
    counts = ctx.store.progress(annotator)
    skipped = f" ({counts['skipped_today']:,} skipped)" if counts["skipped_today"] else ""
    return (f"**{html.escape(annotator)}** labeled **{counts['labeled_today']:,}** today{skipped} · "
            f"**{counts['remaining']:,}** of {counts['pairs']:,} pairs left to label")


def screen_for(pair: Pair | None, notice: str = "") -> LabelScreen:
    if pair is None:
        return LabelScreen(None, None, "", "", "", notice)
    meta = " · ".join(part for part in (pair.category, f"pair #{pair.id}") if part)
    return LabelScreen(
        pair_id=pair.id,
        left=pair.left,
        prompt_html=panel(f"Prompt — {meta}", message_html(pair.prompt), css_class="rm-prompt"),
        left_html=panel("A", message_html(pair.left_text), css_class="rm-response rm-left"),
        right_html=panel("B", message_html(pair.right_text), css_class="rm-response rm-right"),
        notice=notice,
    )


def show_next(ctx: StudioContext, annotator: str, notice: str = "") -> LabelScreen:
    """The pair this annotator holds (after a reload) or a newly leased one, or the empty state."""
    return screen_for(ctx.store.next_pair(annotator), notice)


def judge(ctx: StudioContext, annotator: str, pair_id: int | None, left: str | None, side: str) -> LabelScreen:
    """Record the judgement on the pair on screen, then show the next pair."""
    if pair_id is None or left is None:
        return show_next(ctx, annotator)
    try:
        ctx.store.record_label(int(pair_id), choice_for(side, left), annotator)
    except BadInput:
        if ctx.store.get_pair(int(pair_id)) is not None:
            raise
        return show_next(ctx, annotator, f"Pair #{pair_id} was deleted meanwhile; here is the next one.")
    saved = f"Skipped pair #{pair_id}." if side == "skip" else f"Saved: {SIDE_WORDS[side]} on pair #{pair_id}."
    return show_next(ctx, annotator, saved)


SIDE_WORDS = {"left": "A (left) is better", "right": "B (right) is better", "tie": "tie", "both_bad": "both bad",
              "skip": "skipped"}


def judgement_words(label: dict) -> str:
    """What a stored label said, in the words of the buttons the annotator saw ("A (left) is better", "tie")."""
    choice = label["choice"]
    if choice in ("a", "b"):
        return SIDE_WORDS["left" if choice == label.get("shown_left") else "right"]
    return SIDE_WORDS.get(choice, choice)


def undo(ctx: StudioContext, annotator: str) -> LabelScreen:
    """Take back this annotator's latest label and show that pair again, saying which judgement was undone."""
    latest = ctx.store.latest_label(annotator)
    pair_id = ctx.store.undo_last(annotator)
    if pair_id is None:
        return show_next(ctx, annotator, "Nothing to undo yet.")
    said = f": it said {judgement_words(latest)}" if latest and latest["pair_id"] == pair_id else ""
    return screen_for(ctx.store.get_pair(pair_id), f"Undid your label on pair #{pair_id}{said}.")


def whoami_line(annotator: str, admin: bool, typed: bool) -> str:
    """"Labeling as **alice** (admin)": who the labels go to and their role, the same after a rename."""
    line = f"Labeling as **{html.escape(annotator)}** ({'admin' if admin else 'annotator'})"
    return line + (" · your name goes in the box on the right" if typed else "")


def _side_name(choice: str, left: str | None) -> str:
    return "A (left)" if choice == left else "B (right)"


NOT_SCORED_YET = "🤖 The assistant has not scored this pair yet (it scores the pairs in the background)."


def assistant_line(ctx: StudioContext, state: dict, *, may_score: bool = True) -> str:
    """The model assistant's view: of the pair on screen, or — in blind mode — of the pair just judged.

    `may_score`: score a pair the background scorer has not reached yet; False for annotators, whose calls
    never run a model (they read the margins the admin's assistant stored)."""
    from rmstudio.labeling import assist

    if not ctx.store.labeling_settings().get("assistant"):
        return ""
    if not assist.is_blind(ctx.store):
        if state.get("id") is None:
            return ""
        hint = assist.suggestion(ctx.store, int(state["id"]), compute_missing=may_score)
        if hint is None and not may_score:
            return NOT_SCORED_YET
        if hint is None or "error" in hint:
            return f"Assistant unavailable: {html.escape(hint['error'])}" if hint else ""
        return (f"🤖 Assistant prefers **{_side_name(hint['prefers'], state.get('left'))}** "
                f"({hint['confidence']:.0%} confident)")
    judged = state.get("judged") or {}
    if judged.get("id") is None:
        return "🤖 Blind mode: the assistant's pick is shown after you choose."
    hint = assist.suggestion(ctx.store, int(judged["id"]), compute_missing=may_score)
    if hint is None and not may_score:
        return NOT_SCORED_YET
    if hint is None or "error" in hint:
        return f"Assistant unavailable: {html.escape(hint['error'])}" if hint else ""
    picked = _side_name(hint["prefers"], judged.get("left"))
    yours = {"left": "A (left)", "right": "B (right)"}.get(judged.get("side"))
    verdict = "" if yours is None else (" — the same as you" if yours == picked else f" — you chose {yours}")
    return (f"🤖 On the pair you just judged (#{judged['id']}), the assistant preferred **{picked}** "
            f"({hint['confidence']:.0%} confident){verdict}.")


def guest_name() -> str:
    """A default name for a visitor without a login, so two browsers never share one identity by accident."""
    return f"guest-{secrets.token_hex(2)}"


# -- Gradio wiring ---------------------------------------------------------------------------------------
def build_label_tab(ctx: StudioContext) -> None:
    """Create the Label tab's components and events (called inside the open gr.Tab)."""
    with gr.Row(equal_height=True, elem_id="rm-label-header"):
        who = gr.Markdown(elem_id="rm-who")
        progress = gr.Markdown(elem_id="rm-progress")
        name = gr.Textbox(show_label=False, placeholder="your name (Enter to switch)", max_lines=1, scale=0,
                          min_width=240, container=False, visible=not ctx.access.login_required,
                          elem_id="rm-annotator-name")
    with gr.Accordion("Guidelines", open=False, elem_id="rm-guidelines"):
        guidelines = gr.HTML(markdown_html(read_guidelines(ctx.home)), js_on_load=None, elem_id="rm-guidelines-text")
        with gr.Group(visible=False) as guideline_editor:
            guideline_text = gr.Textbox(label="Edit the guidelines (Markdown; admins only)", lines=8,
                                        value=read_guidelines(ctx.home), elem_id="rm-guidelines-edit")
            save_button = gr.Button("Save guidelines", size="sm", elem_id="rm-guidelines-save")
    notice = gr.Markdown(elem_id="rm-notice")
    suggestion = gr.Markdown(elem_id="rm-suggestion")
    current = gr.State({"id": None, "left": None, "annotator": None})
    remembered_name = gr.BrowserState("", storage_key="rmstudio-annotator", secret=browser_secret(ctx.home))
    with gr.Column(visible=True, elem_id="rm-pair") as pair_box:
        prompt = gr.HTML(js_on_load=None, elem_id="rm-prompt")
        with gr.Row(equal_height=True):
            left = gr.HTML(js_on_load=None, elem_id="rm-left")
            right = gr.HTML(js_on_load=None, elem_id="rm-right")
        with gr.Row(elem_id="rm-buttons"):
            buttons = {side: gr.Button(f"{label}  [{keys}]", elem_id=elem_id,
                                       variant="primary" if side in ("left", "right") else "secondary")
                       for side, label, elem_id, keys in BUTTONS}
            undo_button = gr.Button("Undo  [u]", elem_id="rm-undo", variant="secondary")
        gr.Markdown(SHORTCUTS_HELP, elem_id="rm-shortcuts")
    with gr.Column(visible=False, elem_id="rm-empty") as empty_box:
        gr.Markdown(EMPTY_MESSAGE)
        with gr.Row():
            to_data = gr.Button("Go to Data (import)", size="sm", elem_id="rm-goto-data")
            to_train = gr.Button("Go to Train", size="sm", elem_id="rm-goto-train")
            empty_undo = gr.Button("Undo my last label  [u]", size="sm", elem_id="rm-undo-empty")

    outputs = [current, prompt, left, right, notice, pair_box, empty_box]

    def shown(screen: LabelScreen, annotator: str, judged: dict | None = None) -> list:
        state = {"id": screen.pair_id, "left": screen.left, "annotator": annotator, "judged": judged}
        return [state, screen.prompt_html,
                screen.left_html, screen.right_html, screen.notice,
                gr.Column(visible=not screen.empty), gr.Column(visible=screen.empty)]

    @ctx.allows(ANNOTATOR)
    @shows_errors
    def on_load(remembered: str | None, request: gr.Request):
        typed = "" if ctx.user(request) else (remembered or guest_name())
        annotator = ctx.annotator(request, typed)
        admin = ctx.is_admin(request)
        whoami = whoami_line(annotator, admin, bool(typed))
        # the guidelines as saved now (the page may be older); the editor shows up in this same update, so
        # an admin never types into it before its text arrives
        text = read_guidelines(ctx.home)
        return [typed, typed, whoami, markdown_html(text), gr.Group(visible=admin), text,
                *shown(show_next(ctx, annotator), annotator)]

    @ctx.allows(ANNOTATOR)
    @shows_errors
    def on_rename(typed: str, state: dict, request: gr.Request):
        annotator = ctx.annotator(request, typed)
        if state.get("id") is not None and state.get("annotator") not in (None, annotator):
            ctx.store.release(state["id"], state["annotator"])
        whoami = whoami_line(annotator, ctx.is_admin(request), bool(typed))
        return [annotator, whoami, *shown(show_next(ctx, annotator), annotator)]

    def on_judge(side: str):
        @ctx.allows(ANNOTATOR)
        @shows_errors
        def handler(state: dict, typed: str, request: gr.Request):
            annotator = ctx.annotator(request, typed)
            judged = {"id": state.get("id"), "left": state.get("left"), "side": side}
            return shown(judge(ctx, annotator, state.get("id"), state.get("left"), side), annotator, judged)
        handler.__name__ = handler.__wrapped__.__name__ = f"label_{side}"
        return handler

    @ctx.allows(ANNOTATOR)
    @shows_errors
    def on_undo(typed: str, request: gr.Request):
        annotator = ctx.annotator(request, typed)
        return shown(undo(ctx, annotator), annotator)

    @ctx.allows(ADMIN, "edit the guidelines")
    @shows_errors
    def on_save_guidelines(text: str, request: gr.Request):
        ctx.require_admin(request, "edit the guidelines")
        save_guidelines(ctx.home, text)
        gr.Info("Guidelines saved")
        return markdown_html(read_guidelines(ctx.home))

    @ctx.allows(ANNOTATOR)
    @shows_errors
    def on_progress(state: dict, request: gr.Request):
        return progress_line(ctx, ctx.annotator(request, state.get("annotator"))) if state.get("annotator") else ""

    @ctx.allows(ANNOTATOR)  # the assistant an admin chose for labeling; blind mode holds its pick back
    @shows_errors
    def on_suggest(state: dict, request: gr.Request):
        return assistant_line(ctx, state, may_score=ctx.is_admin(request))

    fast = {"concurrency_limit": None, "show_progress": "hidden"}
    then_progress = {"fn": on_progress, "inputs": [current], "outputs": [progress], "api_visibility": "private",
                     **fast}
    events = [
        ctx.blocks.load(on_load, [remembered_name],
                        [name, remembered_name, who, guidelines, guideline_editor, guideline_text, *outputs],
                        api_visibility="private", **fast),
        name.submit(on_rename, [name, current], [remembered_name, who, *outputs], api_name="label_rename", **fast),
        undo_button.click(on_undo, [name], outputs, api_name="label_undo", **fast),
        empty_undo.click(on_undo, [name], outputs, api_visibility="private", **fast),
    ]
    for side, button in buttons.items():
        events.append(button.click(on_judge(side), [current, name], outputs, api_name=f"label_{side}", **fast))
    for event in events:
        event.then(**then_progress).then(on_suggest, [current], [suggestion], api_visibility="private",
                                         show_progress="hidden", concurrency_limit=2)
    save_button.click(on_save_guidelines, [guideline_text], [guidelines], api_name="save_guidelines")
    to_data.click(ctx.allows(ANYONE)(lambda: gr.Tabs(selected="data")), None, [ctx.tabs], api_visibility="private")
    to_train.click(ctx.allows(ANYONE)(lambda: gr.Tabs(selected="train")), None, [ctx.tabs], api_visibility="private")
