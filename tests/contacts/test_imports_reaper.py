import datetime
import time

import pytest
from django.utils import timezone

from contacts import imports, tasks
from contacts.models import ImportJob, ImportStatus
from tests.contacts.test_imports_run import upload


def queued_without_task(account, touched_minutes_ago: int) -> ImportJob:
    """Return a job marked queued whose task message never reached a worker."""
    job = imports.create_import(account, None, upload("utf8-bom.csv"))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.QUEUED,
        mapping={str(k): v for k, v in imports.suggest_mapping(account, job.headers).items()},
        touched_at=timezone.now() - datetime.timedelta(minutes=touched_minutes_ago),
    )
    return job


def wait_for_status(job: ImportJob, status: str, timeout: float = 30) -> ImportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == status:
            return job
        time.sleep(0.2)
    raise AssertionError(f"import {job.pk} stayed {job.status}, expected {status}")


@pytest.mark.django_db(transaction=True)
def test_stalled_import_is_queued_again_and_finishes(account, celery_worker):
    stalled = queued_without_task(account, touched_minutes_ago=20)
    recent = queued_without_task(account, touched_minutes_ago=1)

    tasks.requeue_stalled_imports()

    finished = wait_for_status(stalled, ImportStatus.DONE)
    assert finished.processed_rows == finished.total_rows > 0
    recent.refresh_from_db()
    assert recent.status == ImportStatus.QUEUED
    assert recent.processed_rows == 0
