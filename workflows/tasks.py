"""Entry points for django-q2 workers. Each is safe to run more than once."""

from workflows.engine import executor


def execute_step(step_id: int) -> str:
    return executor.execute_step(step_id)
