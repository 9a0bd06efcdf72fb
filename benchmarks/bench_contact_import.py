"""Contact import of a generated 100,000-row CSV, against PostgreSQL COPY of the same file.

The import runs in this process through the same calls as the web flow
(create_import, start_import, and the run_import task executed eagerly),
so the figure is the import itself without the broker. The floor is
COPY of the same file into a bare table without indexes: the fastest way
PostgreSQL can take these rows. A second line compares peak traced Python
memory of the same import at 20,000 and 100,000 rows, and the run fails
when memory grows with the rows.
"""

import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smoove.settings")
# The import runs in this process: the task executes where it is enqueued.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"

import django  # noqa: E402 - settings must be chosen before Django loads

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.uploadedfile import UploadedFile  # noqa: E402
from django.db import connection  # noqa: E402

from contacts import imports  # noqa: E402
from contacts.models import Channel, ImportJob, ImportStatus  # noqa: E402
from lists import actions as list_actions  # noqa: E402
from smoove import actions as account_actions  # noqa: E402
from smoove.celery import app  # noqa: E402
from smoove.models import Account, Plan  # noqa: E402

ROWS = 100_000
SMALL_ROWS = 20_000
COPY_REPEATS = 3
# Peak memory of the 100,000-row import may exceed the 20,000-row one by
# this factor; a per-row leak would show as about 5.
MAX_MEMORY_GROWTH = 1.5

HEADER = ["email", "first_name", "last_name", "mobile", "city", "birthday", "external_id", "opt_in"]
FIRST_NAMES = [
    "דנה",
    "יוסי",
    "משה",
    "רבקה",
    "אבי",
    "נועה",
    "שרה",
    "מיכל",
    "עומר",
    "תמר",
    "David",
    "Anna",
]
LAST_NAMES = [
    "לוי",
    "כהן",
    "מזרחי",
    "אברהם",
    "פרץ",
    "ביטון",
    "דהן",
    "אוחיון",
    "גבאי",
    "שלום",
    "Smith",
]
CITIES = ["חיפה", "תל אביב-יפו", "ירושלים", "באר שבע", "נתניה", "אשדוד", "פתח תקווה", "Haifa"]


def generated_rows(count: int) -> Iterator[list[str]]:
    """Yield contact rows as marketers' files have them, one in a hundred with a bad value."""
    rng = random.Random(count)  # noqa: S311 - test data, not secrets
    for index in range(count):
        email = (
            f"Customer.{index}@Example.co.il" if index % 3 else f" customer.{index}@example.com "
        )
        if index % 100 == 7:
            email = f"customer.{index}@example"  # Not imported: no top-level domain.
        mobile = f"05{rng.randint(0, 8)}-{index % 10_000_000:07d}"
        if index % 100 == 13:
            mobile = "050-000"  # Imported without the number.
        yield [
            email,
            rng.choice(FIRST_NAMES),
            rng.choice(LAST_NAMES),
            mobile,
            rng.choice(CITIES),
            f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2005)}",
            f"CRM-{index:07d}",
            rng.choice(["yes", "כן", "", "no"]),
        ]


def write_csv(path: Path, count: int) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(generated_rows(count))


def new_account(name: str) -> Account:
    membership = account_actions.sign_up(
        business_name=name,
        email=f"{name}@bench.example.com",
        password="bench-Pass-9876-long",  # noqa: S106
    )
    account_actions.set_plan(membership.account, Plan.PAID, None)
    return membership.account


def import_file(account: Account, path: Path) -> ImportJob:
    """Upload, map and run the file as the web flow does; return the finished job."""
    with path.open("rb") as handle:
        upload = UploadedFile(handle, name=path.name, size=path.stat().st_size)
        job = imports.create_import(account, None, upload)
    target = list_actions.create_list(account, name=f"Import {path.name}")
    imports.start_import(
        account,
        job,
        mapping=imports.suggest_mapping(account, job.headers),
        target_list=target,
        consent_channels=[Channel.EMAIL, Channel.SMS],
        consent_source="Sign-up form at the counter",
    )
    job.refresh_from_db()
    if job.status != ImportStatus.DONE or job.processed_rows != job.total_rows:
        raise SystemExit(
            f"The import did not finish: {job.status}, {job.processed_rows} rows, {job.error}"
        )
    return job


def copy_rate(path: Path, rows: int) -> float:
    """Return rows per second of COPY of the file into a bare table, the median of a few runs."""
    columns = ", ".join(f"{name} text" for name in HEADER)
    timings = []
    with connection.cursor() as cursor:
        raw = cursor.connection
        for _repeat in range(COPY_REPEATS):
            cursor.execute(f"CREATE TABLE bench_copy_contacts ({columns})")
            started = time.perf_counter()
            with (
                raw.cursor().copy(
                    "COPY bench_copy_contacts FROM STDIN WITH (FORMAT csv, HEADER true)"
                ) as copy,
                path.open("rb") as handle,
            ):
                while chunk := handle.read(1024 * 1024):
                    copy.write(chunk)
            timings.append(time.perf_counter() - started)
            cursor.execute("SELECT count(*) FROM bench_copy_contacts")
            copied = cursor.fetchone()[0]
            cursor.execute("DROP TABLE bench_copy_contacts")
            if copied != rows:
                raise SystemExit(f"COPY stored {copied} rows of {rows}.")
    return rows / statistics.median(timings)


def traced_peak(account: Account, path: Path) -> int:
    tracemalloc.start()
    try:
        import_file(account, path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    if settings.DEBUG:
        raise SystemExit("Run with DEBUG=0: DEBUG keeps every query in memory.")
    # Raise a failure of the eagerly run task here rather than store it.
    app.conf.CELERY_TASK_EAGER_PROPAGATES = True

    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "contacts-100k.csv"
        small = Path(folder) / "contacts-20k.csv"
        write_csv(big, ROWS)
        write_csv(small, SMALL_ROWS)

        started = time.perf_counter()
        job = import_file(new_account("bench-rate"), big)
        import_rate = ROWS / (time.perf_counter() - started)
        floor = copy_rate(big, ROWS)
        print(
            f"bench: contact_import_100k {import_rate:.0f} rows/s ratio={import_rate / floor:.4f} "
            "floor=postgres COPY of the same rows into a bare table",
            flush=True,
        )
        print(
            f"  ({job.created_count} created, {job.failed_count} not imported, "
            f"{job.warning_count} with warnings; COPY {floor:.0f} rows/s)",
            file=sys.stderr,
        )

        small_peak = traced_peak(new_account("bench-memory-20k"), small)
        big_peak = traced_peak(new_account("bench-memory-100k"), big)
        growth = big_peak / small_peak
        print(
            f"bench: contact_import_memory_100k {big_peak / 2**20:.1f} MiB ratio={growth:.2f} "
            "floor=peak traced memory of the same import of 20,000 rows",
            flush=True,
        )
        if growth > MAX_MEMORY_GROWTH:
            raise SystemExit(
                f"Import memory grows with rows: {small_peak / 2**20:.1f} MiB at {SMALL_ROWS} rows, "
                f"{big_peak / 2**20:.1f} MiB at {ROWS} (more than {MAX_MEMORY_GROWTH}x)."
            )


if __name__ == "__main__":
    main()
