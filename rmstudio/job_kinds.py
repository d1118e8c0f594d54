"""The kinds of background job rmstudio ships, by the module that registers each with the job engine.

The engine (`rmstudio.jobs`) imports none of them: `rmstudio.jobs.kinds` reads this table (by module path,
with importlib) and imports a kind's module the first time a run of that kind is submitted, listed or
run. Another kind can be added here, or registered at run time with `rmstudio.jobs.kinds.register`.
"""

KINDS = {
    "train": "rmstudio.training.job",
    "generate": "rmstudio.labeling.generation",
}
DEFAULT = "train"  # a dict spec that names no kind, and every run written before runs named their kind
