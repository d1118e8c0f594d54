"""Kind-agnostic background jobs: a run directory, a queue, and the subprocess worker."""
