"""Celery tasks of the flow engine: thin wrappers around automation.engine."""

from celery import shared_task

from automation import engine


@shared_task
def tick() -> None:
    """Match new events, fire date triggers and advance due enrollments."""
    if engine.run_tick():
        # A backlog: continue at once instead of waiting for the next beat.
        tick.apply_async()
