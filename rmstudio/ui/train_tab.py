"""Train tab: choose data, backbone and preset, start a background run, and watch it live.

Wiring only. Runs are read from disk (`jobs.list_runs`, `jobs.status`, metrics.jsonl) on every load and
every timer tick, so a reload or a second browser re-attaches to the running job. The timer compares a
cheap fingerprint (sizes and mtimes of the run's files) and redraws plots only when it changed.
"""

from __future__ import annotations

import threading

import gradio as gr

from rmstudio import settings
from rmstudio.access import ADMIN, ANNOTATOR
from rmstudio.jobs import queue as jobs
from rmstudio.ui import train_form
from rmstudio.ui.context import StudioContext, shows_errors
from rmstudio.ui.views import runs as run_views

POLL_SECONDS = 1.5


def build_train_tab(ctx: StudioContext) -> None:
    """Lay out the Train tab inside the current Blocks/Tab and wire its events."""
    home = ctx.home
    jobs.recover(home)  # runs whose worker died while no app was up become `interrupted` (resumable)
    gr.Markdown("Train a reward model on your labels. The run continues in the background: you can "
                "close or reload this page and come back.", elem_classes=["rm-help"])
    if settings.demo_mode():
        gr.Markdown(train_form.demo_note(), elem_id="train-demo-note", elem_classes=["rm-note"])
    form = train_form.build_form(ctx)
    train_btn = gr.Button("Train", variant="primary", elem_id="train-start", interactive=False)
    admin_note = gr.Markdown("", elem_id="train-admin-note")
    gr.Markdown("### Current run")
    with gr.Row():
        run_pick = gr.Dropdown(label="Run shown", choices=[], value=None, elem_id="train-run", scale=3,
                               info="The running job is shown by default; pick another run to inspect it.")
        with gr.Column(scale=1, min_width=160):
            cancel_btn = gr.Button("Cancel run", variant="stop", elem_id="train-cancel", interactive=False)
            resume_btn = gr.Button("Resume run", elem_id="train-resume", interactive=False)
    progress = gr.HTML(run_views.progress_html(None), elem_id="train-progress")
    no_points = gr.Markdown("*Loss and accuracy curves appear here after the first logged step.*",
                            elem_id="train-no-points")
    with gr.Row():
        loss_plot = gr.LinePlot(x="step", y="loss", title="Training loss", x_title="step", y_title="loss",
                                elem_id="train-loss-plot", show_label=False, visible=False)
        acc_plot = gr.LinePlot(x="step", y="accuracy", color="split", title="Accuracy (train and eval)",
                               x_title="step", y_title="accuracy", y_lim=[0, 1],
                               color_map={"train": "#3b82f6", "eval": "#f97316"},
                               elem_id="train-acc-plot", show_label=False, visible=False)
    with gr.Accordion("Log (last lines)", open=False):
        log_box = gr.Textbox(label="Worker log", lines=12, max_lines=12, interactive=False, autoscroll=True,
                             elem_id="train-log", show_label=False)
    gr.Markdown("### All runs")
    runs_df = gr.Dataframe(value=run_views.runs_table([]), interactive=False, wrap=True, elem_id="train-runs",
                           label="Runs (select a row to show it)", max_height=320)
    poll = gr.State({"fp": None, "state": None})
    timer = gr.Timer(POLL_SECONDS)

    view_outputs = [poll, run_pick, progress, no_points, loss_plot, acc_plot, log_box, runs_df, cancel_btn,
                    resume_btn, train_btn, admin_note]

    shown = ShownRuns()

    def draw(run_id: str | None, request: gr.Request | None = None, *, choose: bool = False,
             filled: bool = True, tick: bool = False) -> dict:
        """Everything the live panel shows for `run_id` (or the run to follow when `choose`), and whether Train
        can be pressed: never while a training run is active. `filled`: the form shows the preset (else a
        draw may disable Train but never enable it)."""
        runs = jobs.list_runs(home)
        if choose or not any(r["run_id"] == run_id for r in runs):
            followed = run_views.run_to_follow(runs)
            run_id = followed["run_id"] if followed else None
        status = jobs.status(home, run_id) if run_id else None
        loss, acc = run_views.metric_frames(jobs.read_metrics(home, run_id) if run_id else [])
        state = (status or {}).get("state")
        admin = ctx.is_admin(request)
        may_train = ctx.permits(request, "train")  # admins, or visitors when RMSTUDIO_VISITORS says "train"
        can_train = may_train and run_views.active_training_run(runs) is None
        if not tick:
            shown.record(request, run_id)
        return {
            poll: {"fp": _fingerprint(home, run_id), "state": state, "filled": filled},
            train_btn: gr.update(interactive=can_train) if filled or not can_train else gr.skip(),
            admin_note: run_views.train_note(may_train, runs),
            run_pick: gr.update(choices=[r["run_id"] for r in runs], value=run_id),
            progress: run_views.progress_html(status),
            no_points: gr.update(visible=loss.empty and acc.empty),
            loss_plot: gr.update(value=loss, visible=not loss.empty, x_lim=run_views.step_domain(loss, acc)),
            acc_plot: gr.update(value=acc, visible=not acc.empty, x_lim=run_views.step_domain(loss, acc)),
            log_box: jobs.log_tail(status["run_dir"]) if status else "",
            runs_df: run_views.runs_table(runs),
            cancel_btn: gr.update(interactive=admin and state in jobs.ACTIVE),
            resume_btn: gr.update(interactive=admin and state in jobs.RESUMABLE),
        }

    fill, fill_inputs, fill_outputs = form.fill

    @ctx.allows(ANNOTATOR)
    def on_load(preset, model_source, model_text, request: gr.Request):
        """The runs, the Advanced fields filled from the preset, then Train enabled, in one page-load event.

        One event, not a `.then` chain: each link of a chain is sent by the client when it hears that the
        previous one ended, so a lost completion (seen in CI: the page showed the runs, Train stayed
        disabled) stalled the page for good. Train is enabled only once the fields show the preset's values,
        so unchanged fields are not sent as overrides, and a click cannot be overtaken by this drawing."""
        if not ctx.permits(request, "train"):  # annotators see no runs and load no model (RMSTUDIO_VISITORS)
            return {admin_note: "*Only admins can start, cancel or resume training.*"}
        out = draw(None, request, choose=True)  # Train enabled unless a training run is active
        out.update(zip(fill_outputs, fill(preset, model_source, model_text, request), strict=True))
        return out

    watches = ctx.allows(ADMIN, "see the runs", visitors="train", quietly=True)

    @watches
    def on_tick(run_id, last, request: gr.Request):
        """Redraw only when the shown run's files (or the list of runs) changed since the last draw.

        The run is the one the page was last told to show (not the one this tick's request carries, which
        may be older), and a draw made while this tick ran wins: the tick's answer is dropped."""
        recorded = shown.last(request)
        if recorded is not None:
            run_id = recorded[1]
        if run_id and (last or {}).get("state") in jobs.ACTIVE:
            jobs.status(home, run_id)  # notices a dead worker or an expired cancel and records it
        if _fingerprint(home, run_id) == (last or {}).get("fp"):
            return {c: gr.skip() for c in view_outputs}
        out = draw(run_id, request, filled=bool((last or {}).get("filled")), tick=True)  # before load: not enabled
        if shown.last(request) is not recorded:
            return {c: gr.skip() for c in view_outputs}
        return out

    @ctx.allows(ADMIN, "start training", visitors="train")
    @shows_errors(failure="Could not start the run")
    def on_train(values: dict, request: gr.Request):
        """`values`: every form component -> its value (the event's inputs are given as a set)."""
        if values[form.fields["model_source"]] != train_form.MODEL_DEFAULT:
            ctx.require_grant(request, "models", "train a model given by path or Hub id")
        fields = {name: values[component] for name, component in form.fields.items()}
        spec = train_form.spec_from_form(home, fields, values[form.preset_values] or {})
        run_id = jobs.submit(home, spec)
        gr.Info(f"Run {run_id} queued.")
        return draw(run_id, request)

    @ctx.allows(ADMIN, "cancel runs")
    @shows_errors
    def on_cancel(run_id, request: gr.Request):
        ctx.require_admin(request, "cancel runs")
        if not run_id:
            raise gr.Error("No run is selected.")
        jobs.cancel(home, run_id)
        gr.Info(f"Cancelling run {run_id}: it stops after the current step and saves what it learned.")
        return draw(run_id, request)

    @ctx.allows(ADMIN, "resume runs")
    @shows_errors
    def on_resume(run_id, request: gr.Request):
        ctx.require_admin(request, "resume runs")
        jobs.resume(home, run_id)
        return draw(run_id, request)

    @watches
    def on_pick(run_id, request: gr.Request):
        return draw(run_id, request)

    @watches
    def on_select_row(table, evt: gr.SelectData, request: gr.Request):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        try:
            run_id = table.iloc[row]["Run"]
        except (IndexError, KeyError, TypeError):
            return {c: gr.skip() for c in view_outputs}
        return draw(run_id, request)

    quiet = {"show_progress": "hidden", "concurrency_limit": None}
    train_form.on_load(ctx, on_load, inputs=fill_inputs, outputs=[*view_outputs, *fill_outputs])
    # "multiple": a tick whose answer never comes must not stop this page's polling for good, as it would
    # with the default "once" (no new tick while one is pending). One way it can happen, read in Gradio's
    # client: it opens the event stream only when it is closed, so an event joining just as the server
    # closes an idle stream is not heard until the next event reopens it. Ticks are cheap and idempotent.
    timer.tick(on_tick, inputs=[run_pick, poll], outputs=view_outputs, api_visibility="private",
               trigger_mode="multiple", **quiet)
    run_pick.input(on_pick, inputs=[run_pick], outputs=view_outputs, api_visibility="private", **quiet)
    runs_df.select(on_select_row, inputs=[runs_df], outputs=view_outputs, api_visibility="private", **quiet)
    train_btn.click(on_train, inputs=set(form.inputs), outputs=view_outputs, api_name="train_submit",
                    concurrency_id="train_submit", concurrency_limit=1)
    cancel_btn.click(on_cancel, inputs=[run_pick], outputs=view_outputs, api_name="train_cancel",
                     concurrency_limit=None)
    resume_btn.click(on_resume, inputs=[run_pick], outputs=view_outputs, api_name="train_resume",
                     concurrency_id="train_submit", concurrency_limit=1)


class ShownRuns:
    """The run each page (by session) was last told to show by a draw that is not a timer tick.

    A tick carries the run the page showed when it was sent; sent just before the page heard of a new run
    and answered after it, it brought the old run back, and every later tick followed that one (seen in CI:
    the page stayed on a cancelled run while the new run succeeded). Ticks follow this record instead."""

    LIMIT = 10_000
    """Sessions remembered (the oldest is forgotten first); a forgotten page's ticks follow their request."""

    def __init__(self) -> None:
        self._by_session: dict[str, tuple[object, str | None]] = {}
        self._lock = threading.Lock()

    def record(self, request: gr.Request | None, run_id: str | None) -> None:
        session = getattr(request, "session_hash", None)
        if not session:
            return
        with self._lock:
            self._by_session.pop(session, None)
            self._by_session[session] = (object(), run_id)  # a new token per draw: ticks compare identity
            while len(self._by_session) > self.LIMIT:
                self._by_session.pop(next(iter(self._by_session)))

    def last(self, request: gr.Request | None) -> tuple[object, str | None] | None:
        """(token, run id) of the page's last draw, or None when none is recorded."""
        session = getattr(request, "session_hash", None)
        with self._lock:
            return self._by_session.get(session) if session else None


def _fingerprint(home, run_id: str | None) -> str:
    """The shown run's files plus the state files of every run (so the runs table follows too)."""
    run_dir = jobs.run_path(home, run_id) if run_id else None
    return run_views.run_fingerprint(run_dir) + "#" + run_views.runs_dir_fingerprint(settings.runs_dir(home))

