"""`python -m rmstudio COMMAND`: one thin function per command.

Contract (README, "Command line"): progress goes to stderr, the last stdout line is one JSON object, exit code 0 on
success, 2 on bad input (the message names file, row and field; nothing stored), 1 on any other failure.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable

from rmstudio.errors import BadInput
from rmstudio.settings import resolve_home

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def emit(result: dict) -> None:
    """Print the command's result as the last stdout line."""
    print(json.dumps(result, ensure_ascii=False, default=str), flush=True)


def cmd_import(args: argparse.Namespace) -> dict:
    from rmstudio.data.formats import read_source
    from rmstudio.store import PreferenceStore

    batch = read_source(args.source, split=args.split, fmt=args.format, progress=True, on_invalid=args.on_invalid,
                        rename=column_map(args.map))
    report = PreferenceStore(resolve_home(args.home)).import_batch(batch, progress=True)
    report_issues(report, args.source)
    return report


def report_issues(report: dict, source: str) -> None:
    """Each skipped row, and how many warnings there are, on stderr for the person at the terminal."""
    from rmstudio.data.issues import describe

    for issue in report["skipped"]:
        print(f"skipped: {source}, {describe(issue)}", file=sys.stderr)
    if report["skipped_total"] > len(report["skipped"]):
        print(f"skipped: … {report['skipped_total'] - len(report['skipped'])} more", file=sys.stderr)
    if report["warnings_total"]:
        print(f"{report['warnings_total']} warnings (empty responses or prompts, kept): see 'warnings'", file=sys.stderr)


def column_map(pairs: list[str] | None) -> dict[str, str]:
    """{"question": "prompt"} from `--map question=prompt` flags."""
    mapping = {}
    for pair in pairs or ():
        column, sep, target = pair.partition("=")
        if not sep or not column.strip() or not target.strip():
            raise BadInput(f"--map needs SOURCE_COLUMN=FIELD, got '{pair}'", field="map")
        mapping[column.strip()] = target.strip()
    return mapping


IMPORT_FORMATS_HELP = (
    "force a schema instead of auto-detecting it: explicit, implicit (HH-RLHF raw), conversational (TRL messages, "
    "UltraFeedback-binarized), sharegpt, autotrain, candidates, pku-saferlhf (better_response_id; "
    "pku-saferlhf:safer uses safer_response_id), shp, helpsteer2 (pairs responses to one prompt by helpfulness; "
    "helpsteer2:ATTRIBUTE by another score column, e.g. helpsteer2:correctness; ties give no pair)")


def cmd_export(args: argparse.Namespace) -> dict:
    from rmstudio.data.formats import write_export
    from rmstudio.store import PreferenceStore

    dataset = PreferenceStore(resolve_home(args.home)).to_dataset()
    return write_export(dataset, args.dest, push_to_hub=args.push_to_hub, token=args.token)


def cmd_stats(args: argparse.Namespace) -> dict:
    from rmstudio.labeling.agreement import agreement_report
    from rmstudio.store import PreferenceStore

    store = PreferenceStore(resolve_home(args.home))
    return {**store.stats(), "agreement": agreement_report(store.iter_labels())}


def cmd_serve(args: argparse.Namespace) -> dict:
    from rmstudio.ui.app import serve

    serve(home=args.home, host=args.host, port=args.port, auth=args.auth)
    return {"served": True}


# --- train / jobs ----------------------------------------------------------------------------------
def add_spec_arguments(parser: argparse.ArgumentParser, spec_class: type) -> None:
    """One flag per declared option of `spec_class` (see training/spec_fields.py). A flag left out stays None,
    so the spec's default (or its preset) applies. argparse converts nothing it could refuse: the spec judges
    every value, so a bad one gets the spec's own message and exit code 2 (JSON last line), not a usage error."""
    from rmstudio.training.spec_fields import options

    for declared in options(spec_class):
        if declared.kind is bool:
            action = "store_true" if declared.default is False else argparse.BooleanOptionalAction
            parser.add_argument(declared.flag, dest=declared.name, action=action, default=None,
                                help=flag_help(declared))
        else:
            parser.add_argument(declared.flag, dest=declared.name, help=flag_help(declared),
                                type=number_or_text if declared.kind in (int, float) else None)


def flag_help(declared) -> str:
    """The option's help with its choices, range and default, as `--help` shows it."""
    shows_default = declared.default is not None and (declared.choices or declared.kind in (int, float))
    return declared.described(f"one of {', '.join(declared.choices)}" if declared.choices else "", declared.bounds,
                              f"default {declared.default}" if shows_default else "").replace("%", "%%")


def number_or_text(text: str):
    """The number a flag's text spells (an int when it is whole), else the text itself, for the spec to judge."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def spec_arguments(args: argparse.Namespace, spec_class: type) -> dict:
    """The options given on the command line, by field name."""
    from rmstudio.training.spec_fields import options

    given = {declared.name: getattr(args, declared.name) for declared in options(spec_class)}
    return {name: value for name, value in given.items() if value is not None}


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    from rmstudio.training.spec import TrainSpec

    add_spec_arguments(parser, TrainSpec)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def cmd_train(args: argparse.Namespace) -> dict:
    from rmstudio.jobs.follow import run_foreground
    from rmstudio.training.spec import TrainSpec

    return run_foreground(args.home, spec_arguments(args, TrainSpec), progress=not args.no_progress)


def add_jobs_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", default="list", choices=["list", "status", "cancel", "resume"],
                        help="list runs (default), or status/cancel/resume RUN_ID")
    parser.add_argument("run_id", nargs="?", help="the run for status, cancel and resume")
    parser.add_argument("--no-wait", action="store_true", help="cancel: return once the worker was signalled")


def cmd_jobs(args: argparse.Namespace) -> dict:
    from rmstudio.jobs import queue as jobs

    if args.action == "list":
        return {"runs": jobs.list_runs(args.home)}
    if not args.run_id:
        raise BadInput(f"jobs {args.action} needs a RUN_ID (see `jobs list`)", field="run_id")
    if args.action == "status":
        return jobs.status(args.home, args.run_id)
    if args.action == "cancel":
        return jobs.cancel(args.home, args.run_id, wait=not args.no_wait)
    return jobs.status(args.home, jobs.resume(args.home, args.run_id))


# --- eval / score ------------------------------------------------------------------------------------
def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoints", nargs="+", metavar="CKPT", help="checkpoint directories (or Hub ids) to compare")
    parser.add_argument("--data", help="pairs in any import schema (file, dataset dir, Hub id), a run directory "
                        "(its held-out split) or 'store' (default: the run's held-out split when CKPT is "
                        "<run>/checkpoint, else the labeled pairs in the store)")
    parser.add_argument("--split", help="dataset split for Hub ids and dataset dicts (default: train)")
    parser.add_argument("--format", help="force an import schema instead of auto-detecting it")
    parser.add_argument("--batch-size", type=int, help="texts per forward pass (default 32)")
    parser.add_argument("--no-save", action="store_true", help="do not save the result in CKPT/evals/")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def cmd_eval(args: argparse.Namespace) -> dict:
    from pathlib import Path

    from rmstudio.evaluation.compare import evaluate
    from rmstudio.evaluation.pairs import is_run_dir, load_pairs

    data = args.data
    if data is None:
        run_dir = Path(args.checkpoints[0]).parent
        data = str(run_dir) if is_run_dir(run_dir) else "store"
    pairs, _ = load_pairs(data, home=args.home, split=args.split, fmt=args.format)
    report = evaluate(args.checkpoints, pairs, batch_size=args.batch_size, progress=not args.no_progress,
                                 save=not args.no_save)
    return {**report, "data": data}


def add_score_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", metavar="CKPT", help="checkpoint directory (or Hub id)")
    parser.add_argument("--prompt", required=True, help="the prompt all completions answer")
    parser.add_argument("--completion", action="append", required=True, metavar="C",
                        help="a completion to score (repeat for several)")
    parser.add_argument("--batch-size", type=int, default=32, help="texts per forward pass (default 32)")


def cmd_score(args: argparse.Namespace) -> dict:
    from rmstudio.scoring.scorer import RewardScorer

    scorer = RewardScorer.from_pretrained(args.checkpoint)
    scores = scorer.score([args.prompt] * len(args.completion), args.completion, batch_size=args.batch_size)
    return {"checkpoint": args.checkpoint, "scores": scores}


# ----------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rmstudio", description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", help="data directory (default: $RMSTUDIO_HOME, /data/rmstudio on Spaces, ./rmstudio_data)")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, func: Callable, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(func=func)
        return p

    p = command("import", cmd_import, "import preference pairs or candidates into the store")
    p.add_argument("source", help="a .json/.jsonl/.csv/.parquet file, a save_to_disk directory, or a Hub dataset id")
    p.add_argument("--split", help="dataset split for Hub ids and dataset dicts (default: train)")
    p.add_argument("--format", metavar="FORMAT", help=IMPORT_FORMATS_HELP)
    p.add_argument("--map", action="append", metavar="COL=FIELD",
                   help="rename a source column before detection, for any other layout (repeat for several), e.g. "
                   "--map question=prompt --map good=chosen --map bad=rejected")
    p.add_argument("--on-invalid", choices=["error", "skip"], default="error",
                   help="an invalid row (unreadable line, wrong type, missing column, chosen identical to rejected): "
                   "'error' (default) fails the import and stores nothing; 'skip' imports the valid rows and lists "
                   "each skipped one in 'skipped'. Empty responses are kept either way and listed in 'warnings'")

    p = command("export", cmd_export, "export the labeled pairs as a training set (prompt, chosen, rejected)")
    p.add_argument("dest", nargs="?", help=".jsonl, .parquet, .csv, or a directory (save_to_disk)")
    p.add_argument("--push-to-hub", metavar="REPO", help="push to a Hub dataset repo instead of (or as well as) a file")
    p.add_argument("--token", help="Hub token for --push-to-hub (default: HF_TOKEN / cached login)")

    command("stats", cmd_stats, "counts of pairs and labels (by choice, annotator, category) and annotator agreement")

    p = command("serve", cmd_serve, "run the web app (same as python app.py)")
    p.add_argument("--host", default=None, help="interface to listen on (default 127.0.0.1; 0.0.0.0 on Spaces)")
    p.add_argument("--port", type=int, default=None, help="port (default 7860 or $GRADIO_SERVER_PORT)")
    p.add_argument("--auth", action="append", metavar="USER:PASS", help="require login (repeat for several users)")

    add_train_arguments(command("train", cmd_train, "train a reward model in the foreground (same worker as the app)"))
    add_jobs_arguments(command("jobs", cmd_jobs, "list, cancel or resume training runs"))
    add_eval_arguments(command("eval", cmd_eval, "evaluate checkpoints on the same pairs"))
    add_score_arguments(command("score", cmd_score, "score completions for a prompt with a checkpoint"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.func(args)
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        emit({"error": str(exc), "kind": "bad_input"})
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        emit({"error": "interrupted", "kind": "interrupted"})
        return EXIT_FAILURE
    except Exception as exc:  # noqa: BLE001 - the contract promises JSON + exit 1 for any failure
        traceback.print_exc(file=sys.stderr)
        emit({"error": f"{type(exc).__name__}: {exc}", "kind": "failure"})
        return EXIT_FAILURE
    emit(result)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
