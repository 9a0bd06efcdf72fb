"""Run the test suite against PostgreSQL and Redis on their standard ports.

With CI set, a missing service fails the run. Without it, the suite runs
on SQLite without the tests that need Redis, and prints what it skipped.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/smoove"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def postgres_reachable(url: str) -> bool:
    import psycopg

    # Any database proves the server responds; the test database is made by
    # pytest-django.
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin_url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=3).ping())
    except redis.RedisError:
        return False


def check_compose_file() -> bool:
    """Validate docker-compose.yml with docker-compose config (no engine needed)."""
    tool = shutil.which("docker-compose")
    if tool is None:
        print("docker-compose is not installed, so docker-compose.yml was not checked.")
        return not os.environ.get("CI")
    result = subprocess.run(
        [tool, "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "SECRET_KEY": "compose-check"},
    )
    if result.returncode != 0:
        print("docker-compose.yml is invalid:\n" + result.stderr)
        return False
    print("docker-compose.yml: valid")
    return True


def main() -> int:
    in_ci = bool(os.environ.get("CI"))
    env = dict(os.environ)
    database_url = env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = env.setdefault("REDIS_URL", DEFAULT_REDIS_URL)

    missing = []
    if not postgres_reachable(database_url):
        missing.append(f"PostgreSQL at {database_url}")
    if not redis_reachable(redis_url):
        missing.append(f"Redis at {redis_url}")
    if missing and in_ci:
        print("CI needs these services, which did not answer: " + "; ".join(missing))
        print("Start them (.ci/run does) and run make test again.")
        return 1
    if any(item.startswith("PostgreSQL") for item in missing):
        print("PostgreSQL did not answer: the suite runs on SQLite instead.")
        env.pop("DATABASE_URL")
    if any(item.startswith("Redis") for item in missing):
        print("Redis did not answer: tests that need Redis or a Celery worker are skipped.")
        env.pop("REDIS_URL")
        env["SMOOVE_TESTS_WITHOUT_REDIS"] = "1"

    if not check_compose_file():
        return 1

    for check in (["ruff", "check", "."], ["mypy", "."]):
        print("$ " + " ".join(check), flush=True)
        result = subprocess.run([sys.executable, "-m", *check], cwd=ROOT, check=False)
        if result.returncode != 0:
            return result.returncode

    pytest_args = [sys.executable, "-m", "pytest", *sys.argv[1:]]
    return subprocess.run(pytest_args, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
