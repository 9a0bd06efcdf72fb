"""The one way to enqueue a Celery task: after the current transaction commits."""

from typing import Any

from celery import Task
from django.db import transaction


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send task after commit, so the worker never reads rows that are not there yet."""
    transaction.on_commit(lambda: task.apply_async(args=args, kwargs=kwargs))
