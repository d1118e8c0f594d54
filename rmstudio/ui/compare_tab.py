"""Compare tab: score 1–N checkpoints on the same pairs and side by side on completions the user types.

Wiring only: `evaluation.evaluate` / `evaluation.playground` do the work, `views.compare` shapes the result.
User text (prompts, responses) is shown in Textboxes and Dataframes, which display text, never HTML.
Scoring handlers share one concurrency group with a small limit: they are the heavy part of the app.
"""

from __future__ import annotations

import gradio as gr

from rmstudio.access import ADMIN, ANYONE
from rmstudio.errors import BadInput
from rmstudio.jobs import queue as jobs
from rmstudio.ui.context import StudioContext, shows_errors
from rmstudio.ui.train_form import UPLOAD_TYPES, on_load
from rmstudio.ui.views import compare as compare_views
from rmstudio.ui.views import runs as run_views

EVAL_RUN = "Held-out split of a run"
EVAL_STORE = "Labeled pairs in the store"
EVAL_FILE = "Upload a file"
SCORING = {"concurrency_id": "scoring", "concurrency_limit": 2}
DETAIL_ITEMS = 200  # disagreements kept with full texts for the browser
EMPTY_RUNS = ("**No trained checkpoints yet.** Train one in the **Train** tab (a few minutes on the demo pairs), "
              "or type the path of a checkpoint below.")
PLACEHOLDER_COMPLETIONS = "First completion\n---\nSecond completion\n---\nThird completion"


def build_compare_tab(ctx: StudioContext) -> None:
    """Lay out the Compare tab inside the current Blocks/Tab and wire its events."""
    home = ctx.home
    gr.Markdown("Score trained checkpoints on the same labeled pairs and see where they differ.",
                elem_classes=["rm-help"])
    with gr.Row(visible=False) as empty_row:
        gr.Markdown(EMPTY_RUNS, elem_id="compare-empty")
        go_train = gr.Button("Go to Train", size="sm", scale=0, min_width=140)
    with gr.Row():
        with gr.Column():
            ckpts = gr.Dropdown([], multiselect=True, label="Checkpoints (finished runs)", elem_id="compare-ckpts")
            extra = gr.Textbox(label="Other checkpoints (paths or Hub ids, one per line)", lines=2,
                               elem_id="compare-extra")
        with gr.Column():
            source = gr.Radio([EVAL_RUN, EVAL_STORE, EVAL_FILE], value=EVAL_RUN, label="Evaluate on",
                              elem_id="compare-source")
            eval_run = gr.Dropdown([], label="Run whose held-out pairs to use", elem_id="compare-eval-run")
            eval_file = gr.File(label="Labeled pairs file", file_types=UPLOAD_TYPES, visible=False,
                                elem_id="compare-eval-file")
    with gr.Row():
        compare_btn = gr.Button("Compare", variant="primary", elem_id="compare-run")
        refresh_btn = gr.Button("Refresh runs", size="sm", scale=0, min_width=140)
    summary = gr.Markdown("Pick checkpoints and an eval set, then press **Compare**.", elem_id="compare-summary")
    with gr.Column(visible=False, elem_id="compare-results") as results:
        table = gr.Dataframe(value=compare_views.comparison_table({}, {}), interactive=False, elem_id="compare-table",
                             label="Side by side")
        legend = gr.HTML(elem_id="compare-legend")  # one legend for the plots below (see views.legend_html)
        with gr.Row():
            cat_plot = gr.BarPlot(x="bar", y="accuracy", color="checkpoint", y_lim=[0, 1], x_label_angle=-30,
                                  title="Accuracy per category", x_title="category", colors_in_legend=[],
                                  elem_id="compare-categories", show_label=False)
            hist_plot = gr.LinePlot(x="margin", y="share", color="checkpoint", elem_id="compare-margins",
                                    title="Margins (chosen − rejected)", x_title="r_chosen − r_rejected",
                                    y_title="share of pairs", colors_in_legend=[], show_label=False)
            rel_plot = gr.ScatterPlot(x="confidence", y="accuracy", color="checkpoint", x_lim=[0.45, 1], y_lim=[0, 1],
                                      title="Reliability", colors_in_legend=[], elem_id="compare-reliability",
                                      show_label=False)
        gr.Markdown("### Where they disagree\nPairs on which the checkpoints prefer different responses, largest "
                    "disagreement first. Select a row to read the pair.")
        dis_table = gr.Dataframe(value=compare_views.disagreement_table({}, [], {}), interactive=False, wrap=True,
                                 max_height=300, column_widths=compare_views.DISAGREEMENT_WIDTHS,
                                 elem_id="compare-disagreements", label="Disagreements")
        dis_title = gr.Markdown("", elem_id="compare-dis-title")
        with gr.Column(visible=False, elem_id="compare-detail") as detail:
            with gr.Row(equal_height=True):
                prompt_box = gr.Textbox(label="Prompt", lines=6, max_lines=14, interactive=False, elem_id="compare-prompt")
                chosen_box = gr.Textbox(label="Chosen (labeled better)", lines=6, max_lines=14, interactive=False,
                                        elem_id="compare-chosen")
                rejected_box = gr.Textbox(label="Rejected", lines=6, max_lines=14, interactive=False,
                                          elem_id="compare-rejected")
            dis_scores = gr.Dataframe(_no_scores(), interactive=False, elem_id="compare-dis-scores",
                                      label="Each checkpoint on this pair")
    held = gr.State({})

    gr.Markdown("## Playground\nType a prompt and several completions; every selected checkpoint scores them.")
    with gr.Row():
        pg_prompt = gr.Textbox(label="Prompt", lines=6, elem_id="playground-prompt")
        pg_completions = gr.Textbox(label="Completions (separate them with a line holding only ---)", lines=6,
                                    placeholder=PLACEHOLDER_COMPLETIONS, elem_id="playground-completions")
    pg_btn = gr.Button("Score completions", variant="primary", elem_id="playground-run")
    pg_table = gr.Dataframe(interactive=False, wrap=True, elem_id="playground-table", label="Ranked (best first)",
                            column_widths=compare_views.PLAYGROUND_WIDTHS, visible=False)

    @ctx.allows(ADMIN, "list the checkpoints", visitors="compare", quietly=True)
    def refresh(current_run):
        """New finished runs join the lists; what the user already picked is left alone (never re-sent)."""
        runs = jobs.list_runs(home)
        choices = run_views.finished_checkpoints(runs)
        eval_runs = [r["run_id"] for r in runs if r.get("state") == "succeeded" and run_views.is_training_run(r)]
        run_update = gr.update(choices=eval_runs)
        if current_run not in eval_runs:
            run_update = gr.update(choices=eval_runs, value=eval_runs[0] if eval_runs else None)
        return {ckpts: gr.update(choices=choices), eval_run: run_update, empty_row: gr.update(visible=not choices)}

    @ctx.allows(ADMIN, "compare checkpoints", visitors="compare")
    @shows_errors(failure="Comparison failed")
    def compare(selected, extra_text, source_name, run_id, upload, progress=gr.Progress(), request: gr.Request = None):  # noqa: B008 - the Gradio idiom
        from rmstudio.data.formats import ImportBatch
        from rmstudio.evaluation.compare import evaluate
        from rmstudio.scoring.scorer import check_checkpoint

        checkpoints = _permitted(ctx, request, _checkpoints(selected, extra_text))
        if source_name != EVAL_FILE:
            ctx.require_grant(request, "labels", "evaluate on the labeled pairs (it shows their labels)")
        for checkpoint in checkpoints:  # a typo fails at once, before the pairs load
            check_checkpoint(checkpoint)
        rows, name = _eval_pairs(home, source_name, run_id, upload)
        progress(0.1, desc=f"scoring {len(rows)} pairs with {len(checkpoints)} checkpoint(s)")
        result = evaluate(checkpoints, ImportBatch(source=name, format="normalized", rows=rows), home=home)
        names = compare_views.checkpoint_names(checkpoints)
        colors = compare_views.series_colors(names)
        categories = compare_views.category_frame(result, names)
        kept = {"names": names, "result": {**result, "disagreements": result["disagreements"][:DETAIL_ITEMS]},
                "pairs": {i["index"]: rows[i["index"]] for i in result["disagreements"][:DETAIL_ITEMS]}}
        return {
            held: kept,
            summary: compare_views.comparison_summary(result, names),
            table: compare_views.comparison_table(result, names),
            legend: compare_views.legend_html(colors),
            cat_plot: gr.update(value=categories, color_map=colors, visible=not categories.empty),  # no empty frame
            hist_plot: gr.update(value=compare_views.margin_hist_frame(result, names), color_map=colors),
            rel_plot: gr.update(value=compare_views.reliability_frame(result, names), color_map=colors),
            dis_table: compare_views.disagreement_table(kept["result"], _pairs_list(kept), names),
            dis_title: "" if result["disagreements"] else "*The checkpoints agree on every pair.*",
            prompt_box: "", chosen_box: "", rejected_box: "", dis_scores: _no_scores(),
            results: gr.update(visible=True), detail: gr.update(visible=False),
        }

    @ctx.allows(ADMIN, "compare checkpoints", visitors="compare")
    @shows_errors(failure="Could not score this pair")  # e.g. a checkpoint deleted since the comparison
    def open_disagreement(kept, evt: gr.SelectData):
        if not kept:
            raise gr.Error("Run a comparison first.")
        position = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        info = compare_views.disagreement_detail(kept["result"], _pairs_list(kept), kept["names"], position)
        scores = _pair_scores(kept, position)
        return {dis_title: f"**{info['title']}**", prompt_box: info["prompt"], chosen_box: info["chosen"],
                rejected_box: info["rejected"], dis_scores: scores if scores is not None else info["scores"],
                detail: gr.update(visible=True)}

    @ctx.allows(ADMIN, "score completions", visitors="compare")
    @shows_errors(failure="Scoring failed")
    def play(selected, extra_text, prompt, completions_text, request: gr.Request = None):
        checkpoints = _permitted(ctx, request, _checkpoints(selected, extra_text))
        completions = compare_views.parse_completions(completions_text)
        if not (prompt or "").strip():
            raise gr.Error("Type a prompt first.")
        if len(completions) < 1:
            raise gr.Error("Type at least one completion (separate several with a line holding only ---).")
        from rmstudio.evaluation.compare import playground

        frame = playground(prompt, completions, checkpoints)
        return gr.update(value=compare_views.ranked_playground(frame), visible=True)

    quiet = {"show_progress": "hidden", "concurrency_limit": None, "api_visibility": "private"}
    refresh_out = [ckpts, eval_run, empty_row]
    on_load(ctx, refresh, inputs=[eval_run], outputs=refresh_out)
    refresh_btn.click(refresh, [eval_run], refresh_out, **quiet)
    ctx.tabs.select(refresh, [eval_run], refresh_out, **quiet)
    go_train.click(ctx.allows(ANYONE)(lambda: gr.Tabs(selected="train")), None, ctx.tabs, **quiet)
    source.change(ctx.allows(ANYONE)(lambda s: (gr.update(visible=s == EVAL_RUN), gr.update(visible=s == EVAL_FILE))),
                  source,
                  [eval_run, eval_file], **quiet)
    compare_btn.click(compare, [ckpts, extra, source, eval_run, eval_file],
                      [held, summary, table, legend, cat_plot, hist_plot, rel_plot, dis_table, dis_title, prompt_box,
                       chosen_box, rejected_box, dis_scores, results, detail], api_name="compare", **SCORING)
    dis_table.select(open_disagreement, [held], [dis_title, prompt_box, chosen_box, rejected_box, dis_scores, detail],
                     api_visibility="private", **SCORING)
    pg_btn.click(play, [ckpts, extra, pg_prompt, pg_completions], pg_table, api_name="playground", **SCORING)


def _checkpoints(selected, extra_text) -> list[str]:
    """The chosen run checkpoints plus typed ones, without repeats; gr.Error when there are none."""
    typed = [line.strip() for line in (extra_text or "").splitlines() if line.strip()]
    checkpoints = list(dict.fromkeys([*(selected or []), *typed]))
    if not checkpoints:
        raise gr.Error("Pick at least one checkpoint (a finished run, or a path typed below the list).")
    return checkpoints


def _permitted(ctx: StudioContext, request, checkpoints: list[str]) -> list[str]:
    """The checkpoints, when the caller may load each: finished runs' checkpoints, or (admins, or visitors
    with the "models" grant) any path or Hub id. A refusal names no path, so it tells nothing about the disk."""
    if not ctx.permits(request, "models"):
        finished = {str(path) for _, path in run_views.finished_checkpoints(jobs.list_runs(ctx.home))}
        if any(checkpoint not in finished for checkpoint in checkpoints):
            ctx.require_grant(request, "models", "load a model by path or Hub id")
    return checkpoints


def _eval_pairs(home, source_name: str, run_id: str | None, upload) -> tuple[list[dict], str]:
    """(labeled rows, their description) for the chosen eval set."""
    from rmstudio.evaluation.pairs import load_pairs

    if source_name == EVAL_RUN:
        if not run_id:
            raise BadInput("choose the run whose held-out pairs to use (or another eval set)", field="data")
        return load_pairs(str(jobs.run_path(home, run_id)), home=home)
    if source_name == EVAL_STORE:
        return load_pairs("store", home=home)
    path = getattr(upload, "name", upload)
    if not path:
        raise BadInput("upload a file of labeled pairs first (or choose another eval set)", field="data")
    return load_pairs(str(path), home=home)


def _pairs_list(kept: dict) -> list:
    """The held rows as a sparse list indexed like the evaluated pairs (only disagreements are held)."""
    pairs = kept.get("pairs") or {}
    if not pairs:
        return []
    rows = [{}] * (max(int(k) for k in pairs) + 1)
    for index, row in pairs.items():
        rows[int(index)] = row
    return rows


def _pair_scores(kept: dict, position: int):
    """Every checkpoint's reward for the chosen and the rejected response of one disagreement."""
    import pandas as pd

    from rmstudio.scoring.scorer import RewardScorer

    item = kept["result"]["disagreements"][position]
    pair = kept["pairs"].get(item["index"]) or kept["pairs"].get(str(item["index"]))
    if not pair:
        return None
    rows = []
    for checkpoint, margin in item["margins"].items():
        chosen, rejected = RewardScorer.from_pretrained(checkpoint).score(
            [pair["prompt"]] * 2, [pair["chosen"], pair["rejected"]], allow_empty=True)
        rows.append([kept["names"].get(checkpoint, checkpoint), round(chosen, 4), round(rejected, 4),
                     round(margin, 4), item["decisions"].get(checkpoint, "")])
    return pd.DataFrame(rows, columns=["Checkpoint", "Score (chosen)", "Score (rejected)", "Margin", "Prefers"])


def _no_scores():
    import pandas as pd

    return pd.DataFrame(columns=["Checkpoint", "Score (chosen)", "Score (rejected)", "Margin", "Prefers"])
