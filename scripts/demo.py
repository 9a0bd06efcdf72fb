"""Set up and run the embedded demo: SQLite, a Celery worker with beat on a
folder broker, and the web app. Needs no PostgreSQL, Redis or internet."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = os.environ.get("DEMO_PORT", "8000")


def main() -> int:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DEBUG"] = "1"
    env["SITE_URL"] = f"http://127.0.0.1:{PORT}"
    python = sys.executable
    for folder in ("var/broker/queue", "var/broker/processed", "var/broker/control", "var/outbox"):
        (ROOT / folder).mkdir(parents=True, exist_ok=True)

    def manage(*args: str) -> None:
        subprocess.run([python, "manage.py", *args], cwd=ROOT, env=env, check=True)

    manage("migrate", "--noinput", "--verbosity", "0")

    # The worker starts before the demo data is loaded: the folder broker
    # routes a message only to queues a consumer has declared, so the demo
    # import queued by load_demo would otherwise be dropped.
    worker = subprocess.Popen(
        [
            python, "-m", "celery", "--quiet", "-A", "smoove", "worker", "--beat",
            "--pool", "solo", "--loglevel", "warning",
            "--queues", "default,imports,engine,sends,tracking",
            "--schedule", str(ROOT / "var" / "celerybeat-schedule"),
        ],
        cwd=ROOT,
        env=env,
    )
    time.sleep(3)
    manage("load_demo")
    web = subprocess.Popen(
        [python, "manage.py", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        cwd=ROOT,
        env=env,
    )
    time.sleep(2)
    from smoove.demo_login import DEMO_EMAIL, DEMO_PASSWORD

    print()
    print(f"smoove is running at http://127.0.0.1:{PORT}/")
    print(f"log in as {DEMO_EMAIL} with the password {DEMO_PASSWORD}")
    print(f"messages from campaigns and flows land in http://127.0.0.1:{PORT}/campaigns/outbox/")
    print("account emails (invitations, password resets) are files in var/outbox/email/")
    print("press Ctrl+C to stop")
    print()

    def stop(*_args: object) -> None:
        for process in (web, worker):
            process.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while web.poll() is None and worker.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for process in (web, worker):
            process.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
