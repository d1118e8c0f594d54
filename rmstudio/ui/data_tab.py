"""The Data tab (admins): import with a preview, a paged pair browser, delete/relabel, statistics, export.

Every handler checks the caller is admin on the server (`ctx.require_admin`), so hiding the tab's content
from annotators is only cosmetic. The work itself is in rmstudio.ui.views.data and the core modules.
"""

from __future__ import annotations

import html
import logging

import gradio as gr
from gradio.utils import get_upload_folder

from rmstudio.access import ADMIN, ANNOTATOR
from rmstudio.data.formats import SCHEMAS
from rmstudio.errors import BadInput
from rmstudio.settings import max_upload_mb
from rmstudio.store import CHOICES
from rmstudio.ui.context import StudioContext, shows_errors
from rmstudio.ui.render import message_html, panel
from rmstudio.ui.team_panel import build_team_panel
from rmstudio.ui.views import data as views

_log = logging.getLogger(__name__)

PAGE_SIZES = [25, 50, 100]
BAR = {"height": 280, "y_lim": [0, None], "show_label": False}
RELABEL_CHOICES = [("Response A is better", "a"), ("Response B is better", "b"), ("Tie", "tie"),
                   ("Both bad", "both_bad")]
ANNOTATOR_NOTE = "### Data\nOnly admins can import, browse, relabel and export data. You can label in the **Label** tab."


def build_data_tab(ctx: StudioContext) -> None:
    """Create the Data tab's components and events (called inside the open gr.Tab)."""
    note = gr.Markdown(ANNOTATOR_NOTE, visible=False)
    with gr.Column(visible=False) as admin_area:
        importer = _build_import(ctx)
        browser = _build_browser(ctx)
        stats = _build_stats(ctx)
        team = build_team_panel(ctx)
        _build_export(ctx)

    @ctx.allows(ANNOTATOR)
    def on_page_load(request: gr.Request):
        admin = ctx.is_admin(request)
        return gr.Markdown(visible=not admin), gr.Column(visible=admin)

    ctx.blocks.load(on_page_load, None, [note, admin_area], api_visibility="private", concurrency_limit=None)
    for part in (browser, stats, team):  # opening the tab refreshes it (skipped, without an error, for annotators)
        ctx.tab_blocks["data"].select(**part["on_open"])
    importer["wire"](browser["refresh"], stats["refresh"])


def _build_import(ctx: StudioContext) -> dict:
    gr.Markdown("### Import\nUpload a file in any supported schema, or name a Hugging Face dataset; check the "
                "preview, then **Import**. Empty replies are kept (listed as warnings); a file with invalid rows "
                "is refused unless you choose to import only its valid rows.")
    with gr.Row():
        upload = gr.File(label=f"Upload .jsonl / .json / .csv / .parquet (at most {max_upload_mb()} MB)",
                         type="filepath", elem_id="rm-upload", height=150,
                         file_types=[".jsonl", ".json", ".csv", ".parquet"])
        with gr.Column():
            hub_id = gr.Textbox(label="…or a Hugging Face dataset id", placeholder="owner/name", max_lines=1)
            with gr.Row():
                split = gr.Textbox(label="Split", placeholder="train", max_lines=1)
                fmt = gr.Dropdown(["auto", *SCHEMAS], value="auto", label="Schema")
            preview_button = gr.Button("Preview", size="sm", elem_id="rm-preview")
    summary = gr.Markdown(elem_id="rm-import-summary")
    issues = gr.Textbox(label="Rows to look at (the first invalid rows and warnings)", lines=4, max_lines=12,
                        interactive=False, visible=False, elem_id="rm-import-issues")
    preview = gr.Dataframe(visible=False, interactive=False, wrap=True, label="First rows", elem_id="rm-preview-table",
                           column_widths=views.PREVIEW_COLUMN_WIDTHS)
    skip_invalid = gr.Checkbox(False, label="Import the valid rows (skip the invalid)", visible=False,
                               elem_id="rm-skip-invalid")
    with gr.Row(equal_height=True):
        import_button = gr.Button("Import", variant="primary", interactive=False, elem_id="rm-import", scale=0,
                                  min_width=160)
        import_error = gr.HTML("", elem_id="rm-import-error")  # stays until the next preview, clear or import
    source = gr.State(None)

    @ctx.allows(ADMIN, "import data")
    @shows_errors
    def on_preview(path, hub, split_name, schema, request: gr.Request):
        ctx.require_admin(request, "import data")
        chosen = path or hub
        try:
            batch, counts = views.preview_import(chosen, split=split_name, fmt=schema, name=_upload_name(chosen))
        except BadInput as exc:  # nothing of an earlier preview stays importable
            return (*cleared()[:-1], _refused(exc))
        listed = views.issues_text(counts)
        return (views.preview_summary(batch, counts), gr.Textbox(listed, visible=bool(listed)),
                gr.Dataframe(views.preview_frame(batch), visible=True),
                gr.Checkbox(False, label=views.skip_choice_label(counts), visible=counts["invalid"] > 0),
                gr.Button(interactive=bool(batch.rows)), chosen, "")

    @ctx.allows(ADMIN, "import data")
    @shows_errors
    def on_import(chosen, split_name, schema, skip, request: gr.Request) -> tuple:
        """(summary, Import button, inline error): a refused file keeps the preview and names why, inline."""
        ctx.require_admin(request, "import data")
        try:
            batch = views.read_import(chosen, split=split_name, fmt=schema, skip_invalid=bool(skip),
                                      name=_upload_name(chosen))
            report = ctx.store.import_batch(batch)
        except BadInput as exc:
            return gr.skip(), gr.skip(), _refused(exc)
        views.forget_upload(chosen, get_upload_folder())  # imported: the uploaded copy is no longer needed
        gr.Info(f"Imported {report['imported']} pairs")
        return views.import_summary(report), gr.Button(interactive=False), ""

    def cleared() -> tuple:
        return "", gr.Textbox("", visible=False), gr.Dataframe(visible=False), gr.Checkbox(False, visible=False), \
            gr.Button(interactive=False), None, ""

    on_clear = ctx.allows(ADMIN, "import data", quietly=True)(cleared)

    preview_outputs = [summary, issues, preview, skip_invalid, import_button, source, import_error]
    upload.upload(on_preview, [upload, hub_id, split, fmt], preview_outputs, api_name="preview_import")
    preview_button.click(on_preview, [upload, hub_id, split, fmt], preview_outputs, api_visibility="private")
    upload.clear(on_clear, None, preview_outputs, api_visibility="private")

    def wire(browse: dict, stats: dict) -> None:
        """The Import click also redraws the pair table and the statistics, as outputs of the same event: no
        `.then` chain, whose next link the client sends only once it hears the previous one ended (a lost
        completion left the table and the response-length chart stale)."""
        refreshed = [*browse["outputs"], *stats["outputs"]]

        @ctx.allows(ADMIN, "import data")
        def on_import_and_refresh(chosen, split_name, schema, skip, page_no, page_size, text, cat, state,
                                  request: gr.Request):
            done = on_import(chosen, split_name, schema, skip, request)
            if done[2]:  # refused: only the inline error changes
                return [*done, *[gr.skip()] * len(refreshed)]
            return [*done, *browse["fn"](page_no, page_size, text, cat, state, request), *stats["fn"](request)]

        import_button.click(on_import_and_refresh, [source, split, fmt, skip_invalid, *browse["inputs"]],
                            [summary, import_button, import_error, *refreshed], api_name="import_data",
                            concurrency_limit=1, concurrency_id="import")

    return {"wire": wire}


def _refused(exc: BadInput) -> str:
    """Why an import was refused, as a toast and inline next to the Import button (a toast alone vanishes);
    the server logs one line (an expected input error, no traceback)."""
    _log.warning("import refused: %s", exc)
    gr.Warning(html.escape(str(exc), quote=False))  # a toast's message is HTML to Gradio
    return (f'<div class="rm-error" role="alert" style="color: var(--error-text-color, #b91c1c)">⚠ '
            f"{html.escape(str(exc))}</div>")


def _upload_name(chosen) -> str | None:
    """An upload's own file name (the page and the stored pairs never show Gradio's temporary path)."""
    return views.upload_name(chosen, get_upload_folder())


def _build_browser(ctx: StudioContext) -> dict:
    gr.Markdown("### Pairs")
    with gr.Row():
        search = gr.Textbox(label="Search prompts and responses", max_lines=1, scale=3, elem_id="rm-search")
        category = gr.Dropdown([views.ALL_CATEGORIES, views.NO_CATEGORY], value=views.ALL_CATEGORIES, label="Category", scale=1,
                               allow_custom_value=True)
        status = gr.Dropdown(list(views.STATUSES), value="all", label="Status", scale=1)
        size = gr.Dropdown(PAGE_SIZES, value=PAGE_SIZES[0], label="Rows per page", scale=1)
    table = gr.Dataframe(headers=views.TABLE_COLUMNS, interactive=False, wrap=False, max_height=4000,
                         elem_id="rm-pairs-table", column_widths=["5%", "9%", "24%", "20%", "20%", "16%", "6%"])
    with gr.Row():
        prev_button = gr.Button("◀ Previous", size="sm", scale=0, min_width=110)
        page = gr.Number(1, label="Page", precision=0, minimum=1, scale=0, min_width=90)
        next_button = gr.Button("Next ▶", size="sm", scale=0, min_width=110)
        info = gr.Markdown(elem_id="rm-page-info")
    with gr.Accordion("Selected pair — click a row", open=True, elem_id="rm-detail"):
        with gr.Row():
            pair_id = gr.Number(None, label="Pair id", precision=0, scale=0, min_width=120, elem_id="rm-pair-id")
            relabel_choice = gr.Dropdown(RELABEL_CHOICES, value="a", label="Relabel as", scale=1)
            relabel_button = gr.Button("Relabel", size="sm", scale=0, min_width=100, elem_id="rm-relabel")
            delete_button = gr.Button("Delete pair", size="sm", variant="stop", scale=0, min_width=120,
                                      elem_id="rm-delete")
        detail = gr.HTML(js_on_load=None, elem_id="rm-pair-detail")

    filters = [page, size, search, category, status]

    @ctx.allows(ADMIN, "browse the data")
    @shows_errors
    def on_page(page_no, page_size, text, cat, state, request: gr.Request):
        ctx.require_admin(request, "browse the data")
        frame, shown_page, text_info = views.pairs_page(ctx.store, page=page_no, size=page_size, search=text,
                                                        category=cat, status=state)
        choices = views.category_choices(ctx.store)
        return frame, shown_page, text_info, gr.Dropdown(choices=choices)

    @ctx.allows(ADMIN, "browse the data")
    @shows_errors
    def on_select(frame, event: gr.SelectData, request: gr.Request):
        ctx.require_admin(request, "browse the data")
        row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        chosen = int(frame.iloc[row]["id"])
        return chosen, _detail_html(ctx, chosen)

    @ctx.allows(ADMIN, "browse the data")
    @shows_errors
    def on_detail(chosen, request: gr.Request):
        ctx.require_admin(request, "browse the data")
        return _detail_html(ctx, chosen)

    @ctx.allows(ADMIN, "delete pairs")
    @shows_errors
    def on_delete(chosen, request: gr.Request):
        ctx.require_admin(request, "delete pairs")
        if chosen is None or not ctx.store.delete_pair(int(chosen)):
            raise gr.Error("pick an existing pair first (click a row)")
        gr.Info(f"Deleted pair #{int(chosen)}")
        return None, ""

    @ctx.allows(ADMIN, "relabel pairs")
    @shows_errors
    def on_relabel(chosen, choice, request: gr.Request):
        user = ctx.require_admin(request, "relabel pairs")
        if choice not in CHOICES or chosen is None or ctx.store.get_pair(int(chosen)) is None:
            raise gr.Error("pick an existing pair and a judgement first")
        ctx.store.relabel(int(chosen), choice, user or "admin")
        gr.Info(f"Relabeled pair #{int(chosen)}")
        return _detail_html(ctx, chosen)

    browse = {"fn": on_page, "inputs": filters, "outputs": [table, page, info, category],
              "show_progress": "hidden", "concurrency_limit": 4, "concurrency_id": "browse"}
    @ctx.allows(ADMIN, "browse the data")
    def on_first_page(page_no, page_size, text, cat, state, request: gr.Request):
        return on_page(1, page_size, text, cat, state, request)

    first_page = {**browse, "fn": on_first_page}
    for trigger in (search.submit, category.change, status.change, size.change):
        trigger(api_visibility="private", **first_page)
    page.submit(api_name="browse_pairs", **browse)
    quiet = {**browse, "api_visibility": "private"}

    @ctx.allows(ADMIN, "browse the data", quietly=True)  # opening the tab: nothing, no error, for annotators
    def on_open_tab(page_no, page_size, text, cat, state, request: gr.Request):
        if not ctx.is_admin(request):
            return [gr.skip()] * 4
        return on_page(page_no, page_size, text, cat, state, request)

    turn_page = ctx.allows(ADMIN, "browse the data")
    prev_button.click(turn_page(lambda p: max(1, int(p or 1) - 1)), [page], [page], api_visibility="private").then(**quiet)
    next_button.click(turn_page(lambda p: int(p or 1) + 1), [page], [page], api_visibility="private").then(**quiet)
    table.select(on_select, [table], [pair_id, detail], api_visibility="private")
    pair_id.submit(on_detail, [pair_id], [detail], api_name="pair_detail")
    delete_button.click(on_delete, [pair_id], [pair_id, detail], api_name="delete_pair").then(**quiet)
    relabel_button.click(on_relabel, [pair_id, relabel_choice], [detail], api_name="relabel_pair").then(**quiet)
    return {"refresh": quiet, "on_open": {**quiet, "fn": on_open_tab}}


def _detail_html(ctx: StudioContext, chosen) -> str:
    pair, labels = views.pair_detail(ctx.store, chosen)
    if pair is None:
        return "<p>That pair does not exist (deleted?).</p>"
    votes = ", ".join(f"{html.escape(label['annotator'])}: {html.escape(label['choice'])}" for label in labels)
    meta = f"Pair #{pair.id} · {pair.category or 'no category'} · labels: {votes or 'none yet'}"
    return (panel(meta, message_html(pair.prompt), css_class="rm-prompt")
            + '<div class="rm-detail-row">'
            + panel("Response A", message_html(pair.response_a), css_class="rm-response")
            + panel("Response B", message_html(pair.response_b), css_class="rm-response") + "</div>")


def _build_stats(ctx: StudioContext) -> dict:
    gr.Markdown("### Statistics")
    summary = gr.Markdown(elem_id="rm-stats-summary")
    with gr.Row():
        by_choice = gr.BarPlot(x="choice", y="labels", title="Labels by choice", **BAR)
        by_annotator = gr.BarPlot(x="annotator", y="labels", title="Labels by annotator", **BAR)
    with gr.Row():
        by_category = gr.BarPlot(x="category", y="pairs", title="Pairs by category", x_label_angle=-35, **BAR)
        lengths = gr.BarPlot(x="characters", y="responses", title="Response length (characters, bin start)",
                             elem_id="rm-length-plot",
                             x_label_angle=-35, sort=None, **BAR)
    refresh = gr.Button("Refresh statistics", size="sm")

    @ctx.allows(ADMIN, "see the statistics")
    @shows_errors
    def on_stats(request: gr.Request):
        ctx.require_admin(request, "see the statistics")
        stats = ctx.store.stats()
        frames = views.stats_frames(stats, ctx.store.length_histogram(bins=15))
        # No `sort=` list of this draw's bins (the chart then kept its old bins after an import): the bin
        # labels sort as their numbers do (views.bin_labels).
        return views.stats_summary(stats), frames["choice"], frames["annotator"], frames["category"], frames["length"]

    spec = {"fn": on_stats, "inputs": None, "outputs": [summary, by_choice, by_annotator, by_category, lengths],
            "show_progress": "hidden", "concurrency_limit": 2, "concurrency_id": "stats"}
    refresh.click(api_name="stats", **spec)

    @ctx.allows(ADMIN, "see the statistics", quietly=True)
    def on_open_tab(request: gr.Request):
        return on_stats(request) if ctx.is_admin(request) else [gr.skip()] * 5

    quiet = {**spec, "api_visibility": "private"}
    return {"refresh": quiet, "on_open": {**quiet, "fn": on_open_tab}}


def _build_export(ctx: StudioContext) -> None:
    gr.Markdown("### Export\nThe training set: every pair with a majority judgement, as prompt / chosen / rejected.")
    with gr.Row():
        with gr.Column(scale=1):
            kind = gr.Radio(list(views.EXPORT_SUFFIXES), value="JSONL", label="File format")
            export_button = gr.Button("Export file", elem_id="rm-export")
        download = gr.File(label="Download", interactive=False, scale=2, height=120, elem_id="rm-download")
    with gr.Row():
        repo = gr.Textbox(label="Push to Hub dataset repo", placeholder="owner/name", max_lines=1, scale=2)
        token = gr.Textbox(label="Hub token (write access; not stored)", type="password", max_lines=1, scale=2)
        push_button = gr.Button("Push to Hub", scale=0, min_width=140)
    result = gr.Markdown(elem_id="rm-export-result")

    @ctx.allows(ADMIN, "export data")
    @shows_errors
    def on_export(chosen_kind, request: gr.Request):
        ctx.require_admin(request, "export data")
        path, report = views.export_file(ctx.store, chosen_kind)
        return path, f"Exported **{report['exported']:,}** pairs as {chosen_kind}."

    @ctx.allows(ADMIN, "push data to the Hub")
    @shows_errors
    def on_push(repo_id, hub_token, request: gr.Request):
        ctx.require_admin(request, "push data to the Hub")
        report = views.push_export(ctx.store, repo_id, hub_token)
        return f"Pushed **{report['exported']:,}** pairs to {html.escape(report['path'])}."

    export_button.click(on_export, [kind], [download, result], api_name="export_file", concurrency_limit=1,
                        concurrency_id="export")
    push_button.click(on_push, [repo, token], [result], api_name="push_to_hub", concurrency_limit=1,
                      concurrency_id="export")
