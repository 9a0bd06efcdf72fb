"""Celery tasks of the contacts app; routed to the imports queue by settings."""

import logging
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contacts import imports
from contacts.models import ImportJob, ImportStatus
from smoove.models import Account
from smoove.tasks_util import enqueue_on_commit

logger = logging.getLogger(__name__)


class ImportTask(Task):  # type: ignore[misc]
    """A task whose unexpected failure marks its import failed instead of leaving it running."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        account_id, job_id = args[0], args[1]
        # Celery has logged the traceback; this ties it to the import.
        logger.error(
            "import task failed",
            extra={"account_id": account_id, "import_id": job_id, "task_id": task_id},
        )
        language = Account.objects.filter(pk=account_id).values_list("language", flat=True).first()
        with translation.override(language or settings.LANGUAGE_CODE):
            message = _(
                "The import stopped because of an internal error. The rows imported so far "
                "are kept; contact support to finish it."
            )
        ImportJob.objects.filter(
            account_id=account_id,
            pk=job_id,
            status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING],
        ).update(status=ImportStatus.FAILED, error=message, finished_at=timezone.now())


# A batch of 1,000 rows takes about a second here, so a queued or running
# import untouched this long has lost its task (a worker killed, a message
# dropped). Its task is resumable and locks each batch, so queuing it
# again is safe even if the old run is only slow.
STALLED_AFTER = timedelta(minutes=15)


@shared_task(base=ImportTask)
def run_import(account_id: int, job_id: int) -> None:
    """Apply an import's rows, and enqueue the rest when the time budget runs out."""
    account = Account.objects.filter(pk=account_id).first()
    job = ImportJob.objects.filter(account_id=account_id, pk=job_id).first()
    if account is None or job is None:
        logger.warning("import not found", extra={"account_id": account_id, "import_id": job_id})
        return
    outcome = imports.run_import(account, job, time_budget=imports.TASK_TIME_BUDGET_SECONDS)
    if outcome == imports.RunOutcome.PAUSED:
        enqueue_on_commit(run_import, account_id, job_id)


@shared_task
def requeue_stalled_imports() -> None:
    """Queue again every import that is queued or running but stalled."""
    now = timezone.now()
    stalled = ImportJob.objects.filter(
        status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING],
        touched_at__lt=now - STALLED_AFTER,
    ).values_list("pk", "account_id", "touched_at")
    for job_id, account_id, touched_at in stalled:
        # The conditional update lets one reaper claim the job when two
        # beats overlap.
        claimed = ImportJob.objects.filter(pk=job_id, touched_at=touched_at).update(touched_at=now)
        if claimed:
            logger.warning(
                "stalled import queued again", extra={"account_id": account_id, "import_id": job_id}
            )
            run_import.delay(account_id, job_id)
