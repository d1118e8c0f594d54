"""The Data tab's team section (admins): overlap, the model assistant, agreement, candidate generation.

Wiring only: the logic is in `labeling.agreement`, `labeling.assist`, `labeling.generation` and
`jobs.queue`.
"""

from __future__ import annotations

import html

import gradio as gr
import pandas as pd

from rmstudio.access import ADMIN
from rmstudio.jobs import queue as jobs
from rmstudio.labeling import assist
from rmstudio.labeling.agreement import agreement_report
from rmstudio.labeling.generation import GenerateSpec, read_prompts
from rmstudio.ui.context import StudioContext, shows_errors

NO_ASSISTANT = "(none)"
ORDERS = [("Random (default)", "random"), ("Most informative first (assistant least sure)", "uncertainty")]


def assistant_choices(ctx: StudioContext) -> list[tuple[str, str]]:
    """(label, value) for every checkpoint an assistant can be: none, the latest run, each finished run."""
    runs = [r for r in jobs.list_runs(ctx.home) if r["state"] == "succeeded" and r.get("checkpoint")]
    return [(NO_ASSISTANT, ""), ("Latest successful run (follows new runs)", assist.LATEST),
            *[(f"{r['run_id']} · {r.get('model') or ''} · eval acc {_pct(r.get('eval_accuracy'))}", r["checkpoint"])
              for r in runs]]


def agreement_tables(ctx: StudioContext) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """(summary Markdown, per-annotator table, Cohen's kappa table) from the labels in the store."""
    report = agreement_report(ctx.store.iter_labels())
    helper = assist.assistant_agreement(ctx.store)
    alpha = report["krippendorff_alpha"]
    summary = (f"**{report['pairs_with_several_labels']:,}** pairs have labels from several annotators · "
               f"Krippendorff's α: **{'—' if alpha is None else f'{alpha:.3f}'}** · overlap setting: "
               f"**{ctx.store.overlap}**")
    if helper["checkpoint"]:
        summary += (f"  \nAnnotators agree with the assistant on **{_pct(helper['agreement'])}** of "
                    f"{helper['labels']:,} judgements it scored.")
    annotators = pd.DataFrame([
        {"annotator": name, "labels": s["labels"], "seconds/label": s["seconds_per_label"],
         "agrees with majority": _pct(s["agreement_with_majority"]), "picks left": _pct(s["left_share"])}
        for name, s in sorted(report["annotators"].items())
    ], columns=["annotator", "labels", "seconds/label", "agrees with majority", "picks left"])
    kappas = pd.DataFrame([
        {"annotators": " & ".join(k["annotators"]), "shared pairs": k["pairs"],
         "Cohen's κ": "—" if k["kappa"] is None else f"{k['kappa']:.3f}"}
        for k in report["cohen_kappa"]
    ], columns=["annotators", "shared pairs", "Cohen's κ"])
    return summary, annotators, kappas


def _pct(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def build_team_panel(ctx: StudioContext) -> dict:
    """Components and events of the team section; returns {"on_open": event kwargs} to refresh it."""
    gr.Markdown("### Team labeling")
    with gr.Row():
        overlap = gr.Number(label="Annotators per pair (overlap)", value=1, precision=0, minimum=1, maximum=20,
                            elem_id="rm-overlap")
        helper = gr.Dropdown(label="Model assistant (suggestions in the Label tab)", choices=[(NO_ASSISTANT, "")],
                             value="", allow_custom_value=True, elem_id="rm-assistant")
        order = gr.Radio(ORDERS, value="random", label="Which pair comes next", elem_id="rm-order")
        blind = gr.Checkbox(value=True, label="Blind: show the assistant's pick only after the annotator chose",
                            elem_id="rm-blind")
    save = gr.Button("Save team settings", size="sm", elem_id="rm-team-save")
    agreement_md = gr.Markdown(elem_id="rm-agreement")
    # one above the other: side by side, the five annotator columns are clipped on a 1024 px screen
    annotators = gr.Dataframe(label="Annotators", interactive=False, wrap=True, elem_id="rm-annotators",
                              column_widths=["28%", "14%", "18%", "22%", "18%"])
    kappas = gr.Dataframe(label="Agreement between annotators (Cohen's κ)", interactive=False, wrap=True,
                          elem_id="rm-kappa", column_widths=["50%", "25%", "25%"])

    with gr.Accordion("Generate candidate pairs with a language model", open=False, elem_id="rm-generate"):
        gr.Markdown("Prompts without responses: upload a prompts file (.txt one per line, or .jsonl/.csv/.parquet "
                    "with a `prompt` column) or type them, one per line. A causal LM (local path or Hub id, e.g. "
                    "`Qwen/Qwen2.5-0.5B-Instruct`) writes K completions each; every two become a pair to label. "
                    "The job runs in the background queue (see the Train tab's run list for progress and cancel).")
        with gr.Row():
            prompts_file = gr.File(label="Prompts file", type="filepath", height=120,
                                   file_types=[".txt", ".jsonl", ".json", ".csv", ".parquet"])
            prompts_text = gr.Textbox(label="…or prompts, one per line", lines=5, elem_id="rm-gen-prompts")
        with gr.Row():
            model = gr.Textbox(label="Generator model", placeholder="Qwen/Qwen2.5-0.5B-Instruct or /path/to/model",
                               elem_id="rm-gen-model")
            k = gr.Slider(2, 8, value=2, step=1, label="Completions per prompt (K)")
            temperature = gr.Slider(0.1, 2.0, value=0.9, step=0.05, label="Temperature")
            top_p = gr.Slider(0.1, 1.0, value=0.95, step=0.01, label="Top-p")
            max_new = gr.Slider(16, 1024, value=256, step=16, label="Max new tokens")
        generate = gr.Button("Generate candidates", variant="primary", elem_id="rm-gen-start")
        generated = gr.Markdown(elem_id="rm-gen-status")

    def current_settings():
        settings = ctx.store.labeling_settings()
        return (ctx.store.overlap, gr.Dropdown(choices=assistant_choices(ctx), value=settings.get("assistant", "")),
                settings.get("serving_order", "random"), assist.is_blind(ctx.store))

    @ctx.allows(ADMIN, "see the team settings", quietly=True)
    @shows_errors
    def on_open(request: gr.Request):
        if not ctx.is_admin(request):
            return [gr.skip()] * 7
        return (*current_settings(), *agreement_tables(ctx))

    @ctx.allows(ADMIN, "change team settings")
    @shows_errors
    def on_save(n, checkpoint, serving_order, is_blind, request: gr.Request):
        ctx.require_admin(request, "change team settings")
        ctx.store.set_overlap(int(n or 1))
        assist.configure(ctx.store, assistant=checkpoint or "", order=serving_order, blind=bool(is_blind))
        if "assistant_scorer" not in ctx.extras:
            ctx.extras["assistant_scorer"] = assist.BackgroundScorer(ctx.store).start()
        gr.Info("Team settings saved")
        return agreement_tables(ctx)

    @ctx.allows(ADMIN, "generate candidates")
    @shows_errors
    def on_generate(path, typed, generator, count, temp, p, new_tokens, request: gr.Request):
        ctx.require_admin(request, "generate candidates")
        prompts = read_prompts(path) if path else [line for line in (typed or "").splitlines() if line.strip()]
        spec = GenerateSpec(model=(generator or "").strip(), prompts=prompts, num_completions=int(count),
                            temperature=float(temp), top_p=float(p), max_new_tokens=int(new_tokens))
        run_id = jobs.submit(ctx.home, spec)
        return (f"Queued generation run **{html.escape(run_id)}** for {len(prompts)} prompts. New pairs appear in "
                "the Label tab as they are stored; follow it in the Train tab's run list.")

    outputs = [overlap, helper, order, blind, agreement_md, annotators, kappas]
    save.click(on_save, [overlap, helper, order, blind], [agreement_md, annotators, kappas],
               api_name="team_settings")
    generate.click(on_generate, [prompts_file, prompts_text, model, k, temperature, top_p, max_new], [generated],
                   api_name="generate_candidates", concurrency_limit=2)
    return {"on_open": {"fn": on_open, "inputs": None, "outputs": outputs, "api_visibility": "private",
                        "show_progress": "hidden"}}
