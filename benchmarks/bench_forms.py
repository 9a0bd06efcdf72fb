"""Form submissions per second under gunicorn, against a bare Django view on the same server.

Both targets run in one gunicorn (2 sync workers, production settings)
with the full middleware stack. The load comes from threads in this
process over loopback, one new connection per request because sync
workers close each one. Each form POST is a new visitor: a new contact
with a hidden value, a target list and email consent. So a submission
costs its stored row, the upsert (which locks the account row), the list
membership, the consent record and three events. The floor is a view
that returns 200 to the same POST. Per-IP and per-form rate limits are
off in this server, because every request comes from 127.0.0.1.
"""

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smoove.settings")

import django  # noqa: E402 - settings must be chosen before Django loads

django.setup()

from forms import actions as form_actions  # noqa: E402
from forms.models import Submission, SubmissionStatus  # noqa: E402
from lists import actions as list_actions  # noqa: E402
from smoove import actions as account_actions  # noqa: E402
from smoove.models import Plan  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
CONCURRENCY = 8
WARMUP_REQUESTS = 200
# Each measured run stops at this many requests or this many seconds.
MAX_REQUESTS = 3000
MAX_SECONDS = 30.0
SERVER_START_SECONDS = 30.0
BARE_PATH = "/bench-bare/"

SETTINGS_MODULE = """
from smoove.settings import *  # noqa: F403

ROOT_URLCONF = "bench_forms_urls"
FORMS_RATE_LIMITS = {"per_ip": None, "per_form": None}
"""
URLS_MODULE = f"""
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("{BARE_PATH.strip("/")}/", bare), path("", include("smoove.urls"))]
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int, module_dir: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "bench_forms_settings"
    env["PYTHONPATH"] = os.pathsep.join([module_dir, str(ROOT), env.get("PYTHONPATH", "")])
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
        "smoove.wsgi:application",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("POST", BARE_PATH, body=b"", headers={"Content-Length": "0"})
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start within 30 seconds")


def run_load(port: int, path: str, bodies: list[bytes]) -> tuple[float, list[float], int]:
    """POST each body once from CONCURRENCY threads; return rate, latencies and failures."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    next_index = iter(range(len(bodies)))
    stop_at = time.monotonic() + MAX_SECONDS

    def worker() -> None:
        nonlocal failures
        while time.monotonic() < stop_at:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            started = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                connection.request(
                    "POST",
                    path,
                    body=bodies[index],
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
            finally:
                connection.close()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                failures += 0 if ok else 1

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - began
    return len(latencies) / duration, latencies, failures


def p99_ms(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def form_bodies(prefix: str, count: int) -> list[bytes]:
    return [
        urllib.parse.urlencode(
            {
                "email": f"{prefix}-{index}@bench.example",
                "first_name": "נועה",
                "_consent_email": "1",
            }
        ).encode()
        for index in range(count)
    ]


def main() -> None:
    membership = account_actions.sign_up(
        business_name="Bench forms",
        email=f"bench-forms-{os.getpid()}@example.com",
        password="x" * 20,
    )
    account = membership.account
    account_actions.set_plan(account, Plan.PAID, None)
    from contacts import actions as contact_actions

    contact_actions.create_custom_field(account, label="מקור", key="source", type="text")
    target = list_actions.create_list(account, name="Bench sign-ups")
    form = form_actions.create_form(account, name="Bench form")
    form_actions.add_field(account, form, "source", is_hidden=True, fixed_value="טופס 1")
    form_actions.set_lists(account, form, offered_ids=[], target_ids=[target.pk])
    form_actions.set_consent(account, form, channel="email", enabled=True, wording="מסכים")
    form_actions.publish_form(account, form)
    form_path = f"/f/{form.public_token}/"

    module_dir = tempfile.mkdtemp(prefix="bench_forms_")
    Path(module_dir, "bench_forms_settings.py").write_text(SETTINGS_MODULE)
    Path(module_dir, "bench_forms_urls.py").write_text(URLS_MODULE)
    port = free_port()
    server = start_server(port, module_dir)
    try:
        run_load(port, form_path, form_bodies("warm", WARMUP_REQUESTS))
        run_load(port, BARE_PATH, form_bodies("warm-bare", WARMUP_REQUESTS))
        bare_rate, bare_latencies, bare_failures = run_load(
            port, BARE_PATH, form_bodies("bare", MAX_REQUESTS)
        )
        form_rate, form_latencies, form_failures = run_load(
            port, form_path, form_bodies("measured", MAX_REQUESTS)
        )
    finally:
        server.terminate()
        server.wait(timeout=30)

    applied = Submission.objects.filter(
        form=form, status=SubmissionStatus.APPLIED, values__email__startswith="measured-"
    ).count()
    ratio = form_rate / bare_rate
    print(
        f"bench: form_submit {form_rate:.0f} req/s ratio={ratio:.3f} "
        "floor=bare Django view under the same gunicorn and load"
    )
    print(
        f"bench: form_submit p99={p99_ms(form_latencies):.1f} ms "
        f"bare_p99={p99_ms(bare_latencies):.1f} ms bare={bare_rate:.0f} req/s "
        f"requests={len(form_latencies)} applied={applied} workers={WORKERS} "
        f"concurrency={CONCURRENCY}"
    )
    if form_failures or bare_failures or applied != len(form_latencies):
        print(
            f"bench: form_submit failed requests: form={form_failures} bare={bare_failures}, "
            f"applied {applied} of {len(form_latencies)}"
        )
        raise SystemExit(1)


if __name__ == "__main__":
    main()
