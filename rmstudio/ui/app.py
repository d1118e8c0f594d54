"""The studio app: four tabs over one home directory, and `serve` to run it (`python app.py`, `rmstudio serve`).

`build_app` only assembles tabs; each tab module wires its own events. Page-wide pieces that Gradio 6
takes at launch time (CSS, the keyboard-shortcut script, auth) are in `launch_options`, so every way of
starting the app (serve, app.py, tests) gets the same page.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import gradio as gr

from rmstudio.access import Access
from rmstudio.model import backbones as models
from rmstudio.settings import max_upload_mb, on_spaces, resolve_home
from rmstudio.store import PreferenceStore
from rmstudio.ui.compare_tab import build_compare_tab
from rmstudio.ui.context import StudioContext, require_declared_roles
from rmstudio.ui.data_tab import build_data_tab
from rmstudio.ui.label_tab import build_label_tab
from rmstudio.ui.train_tab import build_train_tab

TITLE = "rmstudio"
TABS = (  # (tab id, title, builder), in page order
    ("label", "Label", build_label_tab),
    ("data", "Data", build_data_tab),
    ("train", "Train", build_train_tab),
    ("compare", "Compare", build_compare_tab),
)

KEYBOARD_SCRIPT = """
<script>
(() => {
  // Label-tab shortcuts: press the matching (visible) button. Keys typed into fields are left alone.
  const KEYS = {"1": "rm-left-better", "a": "rm-left-better", "2": "rm-right-better", "b": "rm-right-better",
                "t": "rm-tie", "x": "rm-both-bad", "s": "rm-skip", "u": "rm-undo"};
  const visible = (el) => el && el.offsetParent !== null && !el.disabled;
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || event.isComposing) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    const id = KEYS[(event.key || "").toLowerCase()];
    if (!id) return;
    let button = document.getElementById(id);
    if (id === "rm-undo" && !visible(button)) button = document.getElementById("rm-undo-empty");
    if (!visible(button)) return;
    event.preventDefault();
    button.click();
  });
})();
</script>
"""

CSS = """
.rm-panel { border: 1px solid var(--border-color-primary); border-radius: 8px; overflow: hidden;
            background: var(--background-fill-primary); height: 100%; }
.rm-panel-title { font-weight: 600; font-size: 0.9em; padding: 6px 12px; border-bottom: 1px solid var(--border-color-primary);
                  background: var(--background-fill-secondary); }
.rm-panel-body { padding: 4px 14px; overflow: auto; overflow-wrap: anywhere; line-height: 1.5; }
.rm-prompt .rm-panel-body { max-height: 20vh; }
.rm-response .rm-panel-body { max-height: 42vh; min-height: 6em; }
/* Gradio's container hides overflow, which would make it (not the window) the sticky buttons' scroller */
.gradio-container { overflow-x: clip !important; overflow-y: visible !important; }
#rm-buttons { position: sticky; bottom: 0; z-index: 5; padding: 8px 0; background: var(--body-background-fill); }
.rm-panel-body pre { overflow-x: auto; white-space: pre; padding: 8px 10px; border-radius: 6px;
                     background: var(--background-fill-secondary); font-size: 0.88em; }
.rm-panel-body code { font-family: var(--font-mono); }
.rm-panel-body table { border-collapse: collapse; }
.rm-panel-body td, .rm-panel-body th { border: 1px solid var(--border-color-primary); padding: 2px 8px; }
.rm-role { font-size: 0.72em; text-transform: uppercase; letter-spacing: .06em; margin-top: 8px;
           color: var(--body-text-color-subdued); }
#rm-shortcuts, #rm-progress, #rm-notice { font-size: 0.9em; }
#rm-detail .rm-panel-body { max-height: 30vh; }
/* table headers break between words only: Gradio's wrapping header lets a squeezed column split
   "Disagreement" or stack a header one letter per line; a whole word is the narrowest a column gets */
.gradio-container .header-cell .header { word-break: normal; overflow-wrap: normal; }
.rm-legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 0.85em; }
.rm-legend-item { display: inline-flex; align-items: center; gap: 6px; overflow-wrap: anywhere; }
.rm-swatch { width: 12px; height: 12px; border-radius: 3px; flex: none; }
"""


def build_app(home: str | os.PathLike | None = None, *, access: Access | None = None) -> gr.Blocks:
    """The whole studio over `home` (see settings.resolve_home); a fresh home is seeded with demo pairs."""
    home = resolve_home(home)
    models.import_model_libraries()  # before any handler thread or background service can race to it
    store = PreferenceStore(home)
    extras = start_background_services(store)
    store.seed_demo_if_fresh()
    ctx = StudioContext(home=Path(home), store=store, access=access or Access.from_settings(), extras=extras)
    with gr.Blocks(title=TITLE, fill_width=True) as blocks:
        ctx.blocks = blocks
        with gr.Row(equal_height=True):
            gr.Markdown(f"## ⚖️ {TITLE} — label preference pairs, train reward models, compare them",
                        elem_id="rm-title")
            if ctx.access.hf_login:
                gr.LoginButton(scale=0, min_width=220)
            elif ctx.access.login_required:
                gr.Button("Log out", link="/logout", size="sm", scale=0, min_width=100, elem_id="rm-logout")
        with gr.Tabs(selected="label") as tabs:
            ctx.tabs = tabs
            for tab_id, title, build_tab in TABS:
                with gr.Tab(title, id=tab_id, elem_id=f"rm-tab-{tab_id}") as ctx.tab_blocks[tab_id]:
                    build_tab(ctx)
    require_declared_roles(blocks)  # deny by default: a handler that declares no role fails here
    return blocks


def start_background_services(store: PreferenceStore) -> dict:
    """Hub sync (restore an empty home, then commit the labels every few minutes) and the assistant scorer."""
    from rmstudio.labeling import assist
    from rmstudio.store import hub_sync

    services = {}
    config = hub_sync.HubSyncConfig.from_env()
    if config is not None:
        try:
            restored = hub_sync.restore_if_empty(store, config)
            if restored:
                print(f"rmstudio: restored from {config.repo_id}: {restored}", file=sys.stderr)
            services["hub_sync"] = hub_sync.start(store, config)
        except Exception as exc:  # noqa: BLE001 - the app must start even when the Hub is unreachable
            print(f"warning: Hub sync to {config.repo_id} is off: {exc}", file=sys.stderr)
    if store.labeling_settings().get("assistant"):
        services["assistant_scorer"] = assist.BackgroundScorer(store).start()
    return services


def launch_options(access: Access) -> dict:
    """Everything Gradio 6 takes at launch: login, page CSS and the keyboard-shortcut script."""
    return {
        "auth": access.gradio_auth(),
        "auth_message": "rmstudio: log in with the name and password you were given." if access.login_required
        else None,
        "css": CSS,
        "head": KEYBOARD_SCRIPT,
        "theme": gr.themes.Soft(),
        "footer_links": ["api"],
        "ssr_mode": False,
        "max_file_size": f"{max_upload_mb()}mb",
    }


def serve(home: str | os.PathLike | None = None, host: str | None = None, port: int | None = None,
          auth: list[str] | str | None = None, *, block: bool = True) -> gr.Blocks:
    """Run the studio. `auth`: ["user:pass", ...] (else RMSTUDIO_AUTH); `block=False` returns once listening."""
    access = Access.from_settings(auth)
    for warning in access.warnings():
        print(f"warning: {warning}", file=sys.stderr)
    blocks = build_app(home, access=access)
    blocks.queue(default_concurrency_limit=2)
    host = host or os.environ.get("GRADIO_SERVER_NAME") or ("0.0.0.0" if on_spaces() else "127.0.0.1")
    port = port or int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    blocks.launch(server_name=host, server_port=port, prevent_thread_lock=not block, **launch_options(access))
    return blocks
