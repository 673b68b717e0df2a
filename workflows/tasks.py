"""Entry points for django-q2 workers. Each is safe to run more than once."""

from workflows.engine import campaigns, executor


def execute_step(step_id: int) -> str:
    return executor.execute_step(step_id)


def fire_timers(step_ids: list[int]) -> list[str]:
    return executor.fire_timers(step_ids)


def advance_campaign(campaign_id: int) -> str:
    return campaigns.advance_campaign(campaign_id)
