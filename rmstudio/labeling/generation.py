"""Candidate generation: K sampled completions per prompt from a causal LM become pairs to label.

For prompts that have no responses yet (a prompts-only file, or prompts typed in the app), a text
generation model (a Hub id such as Qwen/Qwen2.5-0.5B-Instruct, or a local path) writes K completions;
every two distinct completions of a prompt become a candidate pair in the store, with the generator
model recorded as the pair's source. Runs as a background job like training (see `jobs`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rmstudio.errors import BadInput
from rmstudio.jobs import kinds
from rmstudio.training.spec_fields import Spec, option

PROMPT_COLUMNS = ("prompt", "question", "instruction", "text")


@dataclass
class GenerateSpec(Spec):
    """What a generation job does. Stored as spec.json in the job's run directory."""

    noun = "generation"

    model: str = ""
    """Causal LM: a local path or a Hub id."""
    prompts: list = field(default_factory=list)
    """The prompts (strings, or lists of {role, content} messages)."""
    home: str | None = None
    """The rmstudio home whose store receives the candidate pairs."""
    num_completions: int = option(2, low=2, high=16, help="K completions per prompt; every two distinct ones become a pair")
    max_new_tokens: int = option(128, low=1, high=4096, help="tokens each completion may have at most")
    temperature: float = option(0.9, low=0.0, high=5.0, low_inclusive=False, help="sampling temperature")
    top_p: float = option(0.95, low=0.0, high=1.0, low_inclusive=False,
                          help="nucleus sampling: sample from the smallest set of tokens holding this share of probability")
    batch_size: int = option(4, low=1, high=256, help="prompts per generate call")
    seed: int = option(0, help="seed for the sampling")
    kind: str = "generate"
    """Tells the worker this run generates instead of training."""

    def validate(self) -> GenerateSpec:
        """Check every value again, and that there is a generator and a prompt to generate for; returns self."""
        super().validate()
        if not self.model:
            raise BadInput("choose a generator model (a local path or a Hub id)", field="model")
        if not self.prompts:
            raise BadInput("there are no prompts to generate for", field="prompts")
        for i, prompt in enumerate(self.prompts, start=1):
            if not (prompt.strip() if isinstance(prompt, str) else prompt):
                raise BadInput("empty prompt", row=i, field="prompt")
        return self


def read_prompts(path: str | Path) -> list:
    """Prompts from a .txt file (one per line) or a .jsonl/.json/.csv/.parquet file with a prompt column.

    An empty prompt is an error naming its line or row: a prompt silently dropped is a prompt lost.
    """
    path = Path(path)
    if not path.is_file():
        raise BadInput("file not found", source=str(path))
    if path.suffix == ".txt":
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as exc:
            raise BadInput(f"not valid UTF-8 ({exc.reason})", source=path.name) from exc
        for i, line in enumerate(lines, start=1):
            if not line.strip() and i < len(lines):
                raise BadInput("empty prompt (blank line)", source=path.name, row=i, field="prompt")
        prompts = [line for line in lines if line.strip()]
    else:
        from rmstudio.data.readers import read_records

        records, rows = read_records(str(path))
        if not records:
            raise BadInput("the file has no rows", source=path.name)
        column = next((c for c in PROMPT_COLUMNS if c in records[0]), None)
        if column is None:
            raise BadInput(f"no prompt column (expected one of {', '.join(PROMPT_COLUMNS)}; found "
                           f"{', '.join(records[0])})", source=path.name, row=1)
        prompts = []
        for i, record in enumerate(records):
            value = record.get(column)
            if not isinstance(value, str | list) or not (value.strip() if isinstance(value, str) else value):
                raise BadInput("empty or missing prompt", source=path.name, row=rows[i] if rows else i + 1, field=column)
            prompts.append(value)
    if not prompts:
        raise BadInput("the file has no prompts", source=path.name)
    return prompts


def load_generator(model: str):
    """A causal LM and its tokenizer, ready for batched sampling (pad token set, left padding)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rmstudio.model.backbones import resolve_model_path

    path = resolve_model_path(model)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        net = AutoModelForCausalLM.from_pretrained(path)
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot load '{model}' as a text generation model: {exc}", field="model") from exc
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    tokenizer.padding_side = "left"
    net.generation_config.pad_token_id = tokenizer.pad_token_id
    return net.eval(), tokenizer


def render_prompt(tokenizer, prompt) -> str:
    """The text the generator continues: its chat template when it has one, else the plain prompt."""
    messages = prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    text = "\n".join(m["content"] for m in messages)
    return text if isinstance(prompt, str) else text + "\n"


def generate_completions(spec: GenerateSpec, *, on_progress: Callable[[int, int], None] | None = None,
                         should_stop: Callable[[], bool] = lambda: False,
                         on_rows: Callable[[list[dict]], None] | None = None) -> list[dict]:
    """Sample K completions per prompt; returns one {prompt, completions} row per prompt done.

    `on_rows` gets each batch's rows as soon as they exist (so a cancelled job keeps what it made).
    """
    import torch

    spec.validate()
    net, tokenizer = load_generator(spec.model)
    torch.manual_seed(spec.seed)
    rows = []
    for start in range(0, len(spec.prompts), spec.batch_size):
        if should_stop():
            break
        batch = spec.prompts[start : start + spec.batch_size]
        inputs = tokenizer([render_prompt(tokenizer, p) for p in batch], return_tensors="pt", padding=True,
                           add_special_tokens=not getattr(tokenizer, "chat_template", None))
        inputs.pop("token_type_ids", None)
        with torch.inference_mode():
            out = net.generate(**inputs, do_sample=True, temperature=spec.temperature, top_p=spec.top_p,
                               max_new_tokens=spec.max_new_tokens, num_return_sequences=spec.num_completions)
        texts = tokenizer.batch_decode(out[:, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
        k = spec.num_completions
        done = [{"prompt": prompt, "completions": [t.strip() for t in texts[i * k : (i + 1) * k]]}
                for i, prompt in enumerate(batch)]
        rows.extend(done)
        if on_rows:
            on_rows(done)
        if on_progress:
            on_progress(min(start + spec.batch_size, len(spec.prompts)), len(spec.prompts))
    return rows


def to_candidate_rows(rows: list[dict], model: str) -> tuple[list[dict], int]:
    """Every two distinct, non-empty completions of a prompt as a candidate pair; also how many were unusable."""
    pairs, unusable = [], 0
    for row in rows:
        distinct = list(dict.fromkeys(c for c in row["completions"] if c))
        unusable += len(row["completions"]) - len(distinct)
        for i in range(len(distinct)):
            for j in range(i + 1, len(distinct)):
                pairs.append({"prompt": row["prompt"], "response_a": distinct[i], "response_b": distinct[j],
                              "source": f"generated:{model}"})
    return pairs, unusable


def run_generation(spec: GenerateSpec, *, on_progress=None, should_stop=lambda: False) -> dict:
    """Generate and store candidate pairs; returns counts for the job's summary."""
    from rmstudio.store import PreferenceStore

    store = PreferenceStore(spec.home)
    counts = {"candidate_pairs": 0, "duplicate_or_empty_completions": 0}

    def store_batch(batch_rows: list[dict]) -> None:  # stored batch by batch: new pairs appear while it runs
        pairs, unusable = to_candidate_rows(batch_rows, spec.model)
        counts["duplicate_or_empty_completions"] += unusable
        if pairs:
            counts["candidate_pairs"] += len(store.add_candidates(pairs, source=f"generated:{spec.model}"))

    rows = generate_completions(spec, on_progress=on_progress, should_stop=should_stop, on_rows=store_batch)
    return {"prompts": len(rows), "completions": sum(len(r["completions"]) for r in rows), **counts,
            "generator": spec.model, "stopped_early": len(rows) < len(spec.prompts)}


def run_job(spec: GenerateSpec, run_dir, update_status) -> dict:
    """The worker's entry for a generation run: progress into status.json, SIGTERM stops after a batch."""
    from rmstudio.training.callbacks import StopRequest

    run_dir = Path(run_dir)
    stop = StopRequest(run_dir).install()
    started = time.time()

    def progress(done: int, total: int) -> None:
        elapsed = time.time() - started
        update_status(run_dir, progress={"step": done, "total_steps": total,
                                         "eta_seconds": round(elapsed / done * (total - done), 1) if done else None})
        print(f"rmstudio: generated for {done}/{total} prompts", flush=True)

    summary = run_generation(spec, on_progress=progress, should_stop=stop.local)
    summary["state"] = "cancelled" if summary["stopped_early"] else "succeeded"
    summary["generate_seconds"] = round(time.time() - started, 2)
    return summary


def prepare_job(spec: GenerateSpec, home: Path, run_dir: Path) -> dict:
    """Check a generation job before it is queued (BadInput leaves no run); its size is its prompt count."""
    spec.home = str(home)
    spec.validate()
    return {"data_pairs": len(spec.prompts)}


GENERATION = kinds.register(kinds.JobKind(name="generate", spec_type=GenerateSpec, prepare=prepare_job, run=run_job))
