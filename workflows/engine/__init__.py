"""The workflow engine: plain Python over the workflow models, no HTTP.

`runs` starts, finishes, cancels and retries runs; `executor` runs one step
and schedules the next; `nodes` says what each node kind does. See
docs/architecture.md, "Workflow engine".
"""
