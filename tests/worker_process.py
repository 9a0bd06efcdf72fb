"""A real Celery worker in its own OS process, for tests that kill it with SIGKILL."""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

from smoove import queues

ROOT = Path(__file__).resolve().parents[1]
# Claimed deliveries of a killed worker are sent again by the campaigns
# tick once this lease has passed; the default of ten minutes is too slow
# for a test.
LEASE_SECONDS = 5


def start_worker(smtp_port: int) -> subprocess.Popen[bytes]:
    """Start `celery -A smoove worker` on the test database, sending email to smtp_port."""
    database = connection.settings_dict
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
                f"{database['PORT'] or 5432}/{database['NAME']}"
            ),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "CAMPAIGNS_EMAIL_BACKEND": "smtp",
            "CAMPAIGNS_EMAIL_PER_MINUTE": "0",
            "CAMPAIGNS_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS),
        }
    )
    command = [
        *(sys.executable, "-m", "celery", "-A", "smoove", "worker", "-P", "solo"),
        *("-Q", ",".join(queues.ALL), "-l", "WARNING"),
        *("--without-heartbeat", "--without-gossip", "--without-mingle"),
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_for(condition: Callable[[], bool], timeout: float = 120.0, interval: float = 0.05) -> bool:
    """Poll condition until it holds or timeout seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False
