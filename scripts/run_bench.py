"""Run every benchmarks/bench_*.py against PostgreSQL and Redis, one process each.

The database named in DATABASE_URL (default smoove_bench) is dropped,
created and migrated first, and dropped again at the end unless --keep is
given. Its name must contain "bench", so a mistyped URL cannot drop a real
database. Each benchmark's main() prints its "bench: …" lines; a benchmark
that raises or exits non-zero fails the run.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/smoove_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    name = database_name(url)
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("only", nargs="*", help="module names to run, e.g. bench_contact_import")
    options = parser.parse_args()

    env = dict(os.environ)
    database_url = env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = env.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    # Benchmarks measure production settings: DEBUG would record every query.
    env["DEBUG"] = "0"
    env.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    env.setdefault("DJANGO_SETTINGS_MODULE", "smoove.settings")

    if "bench" not in database_name(database_url):
        print(
            f"The database {database_name(database_url)!r} does not look like a benchmark database."
        )
        print("Name one containing 'bench' in DATABASE_URL; this script drops it.")
        return 2
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
        recreate_database(database_url)
    except (psycopg.OperationalError, redis.RedisError) as exc:
        print(f"PostgreSQL or Redis did not answer ({exc}). Start them and run make bench again.")
        return 1

    migrate = [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"]
    if subprocess.run(migrate, cwd=ROOT, env=env, check=False).returncode != 0:
        print("Migrating the benchmark database failed.")
        return 1

    modules = sorted(path.stem for path in (ROOT / "benchmarks").glob("bench_*.py"))
    if options.only:
        modules = [name for name in modules if name in options.only]
    failed = []
    for module in modules:
        command = [sys.executable, "-c", f"from benchmarks.{module} import main; main()"]
        if subprocess.run(command, cwd=ROOT, env=env, check=False).returncode != 0:
            failed.append(module)

    if not options.keep:
        recreate_database(database_url, drop_only=True)
    if failed:
        print("Failed benchmarks: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
