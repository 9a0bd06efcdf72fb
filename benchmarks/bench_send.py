"""Personalised email sending to a local SMTP sink, against plain smtplib of the same mail.

The send runs through the product's own path in this process: create_send,
prepare_send, one pulse released, and deliver_released. Per message that is
claiming, rendering (merge tags, two targeted blocks, tracked links, open
pixel), building the MIME message and the SMTP hand-off, with the delivery
row marked before and after it. The floor hands the same number of messages, rendered
and serialised beforehand, to the same sink with smtplib over one
connection, as the product uses one per worker. The sink is a separate
process that accepts and discards.

Memory: the same send runs in a fresh process for 10,000 and for 100,000
recipients, and each reports its peak resident set size while sending,
sampled every 50 ms. The run fails when the larger one exceeds the smaller
by more than MAX_MEMORY_GROWTH.
"""

import os
import smtplib
import socket
import subprocess
import sys
import threading
import time
from typing import Any

THROUGHPUT_RECIPIENTS = 3_000
MEMORY_SIZES = (10_000, 100_000)
# Peak RSS of the 100,000-recipient send may exceed the 10,000 one by this
# factor; memory that grew with recipients would show as several times.
MAX_MEMORY_GROWTH = 1.5
CONTACT_BATCH = 5_000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_sink(port: int) -> None:
    """Run an SMTP server on 127.0.0.1:port that accepts every message and keeps none."""
    import asyncio

    from aiosmtpd.controller import Controller

    class Discard:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802 - aiosmtpd's hook name
            return "250 OK"

    controller = Controller(Discard(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        asyncio.run(asyncio.sleep(10**9))
    finally:
        controller.stop()


def _start_sink() -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    sink = subprocess.Popen(
        [sys.executable, "-c", f"from benchmarks.bench_send import serve_sink; serve_sink({port})"],
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2) as probe:
                probe.noop()
            return sink, port
        except OSError:
            time.sleep(0.2)
    sink.kill()
    raise RuntimeError("The SMTP sink did not start.")


def _setup_django(port: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smoove.settings")
    os.environ["EMAIL_HOST"] = "127.0.0.1"
    os.environ["EMAIL_PORT"] = str(port)
    os.environ["CAMPAIGNS_EMAIL_BACKEND"] = "smtp"
    # Measure the send path, not the per-minute release limit.
    os.environ["CAMPAIGNS_EMAIL_PER_MINUTE"] = "0"
    import django

    django.setup()


def _build_audience(size: int, label: str) -> tuple[Any, Any, Any]:
    """Create an account with `size` consenting contacts in one list, and the newsletter."""
    from campaigns import actions
    from contacts import actions as contact_actions
    from contacts.models import ConsentRecord, Contact
    from lists import actions as list_actions
    from lists.models import ListMembership
    from smoove import actions as account_actions
    from smoove.models import Plan

    membership = account_actions.sign_up(
        business_name=f"bench {label}",
        email=f"owner-{label}-{time.time_ns()}@bench.example",
        password="Bench-only-Pass-42",  # noqa: S106 - a throwaway bench user,
    )
    account = membership.account
    account_actions.set_plan(account, Plan.PAID, None)
    contact_actions.create_custom_field(
        account, label="מוצרים", key="products", type="multi_choice", choices=["X", "Y"]
    )
    audience = list_actions.create_list(account, name="מנויים")
    names = ["דנה", "יוסי", "נועה", "עומר", ""]
    for start in range(0, size, CONTACT_BATCH):
        contacts = Contact.objects.bulk_create(
            Contact(
                account=account,
                identity=f"reader{n}@bench.example",
                email=f"reader{n}@bench.example",
                first_name=names[n % len(names)],
                city="חולון" if n % 3 == 0 else "חיפה",
                fields={"products": [["X"], ["Y"], ["X", "Y"], []][n % 4]},
            )
            for n in range(start, min(start + CONTACT_BATCH, size))
        )
        ConsentRecord.objects.bulk_create(
            ConsentRecord(
                account=account, contact=c, channel="email", status="granted", source="import"
            )
            for c in contacts
        )
        ListMembership.objects.bulk_create(
            ListMembership(account=account, contact_list=audience, contact=c) for c in contacts
        )

    def about(product: str) -> dict[str, object]:
        rule = {"type": "field", "field": "products", "op": "contains", "value": product}
        return {"match": "all", "rules": [rule]}

    actions.add_verified_sender(account, name="חנות", email="news@bench.example")
    message = actions.save_message(
        account,
        None,
        {
            "name": "bench",
            "subject": "פרסומת: [[שם פרטי|לקוח יקר]], החדשות של החודש",
            "preheader": "מה חדש אצלנו",
            "sender_name": "חנות",
            "sender_email": "news@bench.example",
            "blocks": [
                {"id": "h", "type": "heading", "text": "שלום [[שם פרטי|לקוח יקר]],"},
                {
                    "id": "t",
                    "type": "text",
                    "text": "חדשות החודש. [לחנות](https://shop.example/?c=[[city]])",
                },
                {"id": "x", "type": "text", "text": "פסקה על מוצר X " * 20, "rule": about("X")},
                {"id": "y", "type": "text", "text": "פסקה על מוצר Y " * 20, "rule": about("Y")},
                {
                    "id": "b",
                    "type": "button",
                    "label": "לכל המבצעים",
                    "url": "https://shop.example/sale",
                },
            ],
        },
        channel="email",
    )
    return account, audience, message


def _send_all(account: Any, audience: Any, message: Any) -> tuple[float, int]:
    """Run the whole send in this process; return seconds spent delivering and how many."""
    from django.utils import timezone

    from campaigns import actions, sending

    send = actions.create_send(account, message, list_ids=[audience.pk])
    actions.prepare_send(send)
    send.refresh_from_db()
    started = time.perf_counter()
    sending.release_due_pulses(timezone.now())
    delivered = sending.deliver_released(send)
    return time.perf_counter() - started, delivered


def _floor(port: int, message_bytes: list[tuple[str, bytes]]) -> float:
    """Return seconds to hand pre-rendered messages to the sink over one connection."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for to, data in message_bytes:
            connection.sendmail("news@bench.example", [to], data)
    return time.perf_counter() - started


def _prerender(count: int) -> list[tuple[str, bytes]]:
    """Return the outbox's messages as the product built them, serialised for smtplib."""
    from django.core.mail import EmailMultiAlternatives

    from campaigns.models import OutboxMessage

    kept = list(OutboxMessage.objects.order_by("id")[:count])
    messages = []
    for item in kept:
        email = EmailMultiAlternatives(
            item.subject, item.text, item.sender, [item.to], headers=item.headers
        )
        email.attach_alternative(item.html, "text/html")
        messages.append((item.to, email.message().as_bytes(linesep="\r\n")))
    return messages


def _resident_mib() -> float:
    """Return this process's resident set size now, from /proc (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def memory_run(size: int, port: int) -> None:
    """Send to `size` recipients in this fresh process and print the peak RSS of the send.

    Creating the contacts is setup, so resident memory is sampled every 50 ms
    only while the send runs: building the queue, releasing and delivering.
    """
    _setup_django(port)
    account, audience, message = _build_audience(size, f"memory-{size}")
    peak = [_resident_mib()]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _resident_mib())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _seconds, delivered = _send_all(account, audience, message)
    done.set()
    sampler.join()
    if delivered != size:
        raise SystemExit(f"Delivered {delivered} of {size}.")
    print(f"peak_rss_mib={peak[0]:.1f}")


def main() -> None:
    sink, port = _start_sink()
    try:
        _setup_django(port)
        from django.test.utils import override_settings

        # The floor's messages are the product's own, kept by the outbox
        # backend in a first pass, so both sides hand over the same bytes.
        with override_settings(CAMPAIGNS_EMAIL_BACKEND="outbox"):
            account, audience, message = _build_audience(THROUGHPUT_RECIPIENTS, "floor")
            _send_all(account, audience, message)
        prerendered = _prerender(THROUGHPUT_RECIPIENTS)
        floor_seconds = _floor(port, prerendered)

        account, audience, message = _build_audience(THROUGHPUT_RECIPIENTS, "throughput")
        seconds, delivered = _send_all(account, audience, message)
        if delivered != THROUGHPUT_RECIPIENTS:
            raise SystemExit(f"Delivered {delivered} of {THROUGHPUT_RECIPIENTS}.")
        rate = delivered / seconds
        floor_rate = len(prerendered) / floor_seconds
        print(
            f"bench: email_send {rate:.0f} msgs/s ratio={rate / floor_rate:.3f} "
            "floor=plain smtplib of pre-rendered messages over the same connections "
            f"({floor_rate:.0f} msgs/s, 1 connection, {delivered} messages)"
        )

        peaks = {}
        for size in MEMORY_SIZES:
            run = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    f"from benchmarks.bench_send import memory_run; memory_run({size}, {port})",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if run.returncode != 0:
                print(run.stdout + run.stderr)
                raise SystemExit(f"The {size}-recipient memory run failed.")
            line = next(
                line for line in run.stdout.splitlines() if line.startswith("peak_rss_mib=")
            )
            peaks[size] = float(line.split("=", 1)[1])
        small, large = MEMORY_SIZES
        growth = peaks[large] / peaks[small]
        print(
            f"bench: email_send_memory_{small // 1000}k {peaks[small]:.1f} MiB peak RSS while sending"
        )
        print(
            f"bench: email_send_memory_{large // 1000}k {peaks[large]:.1f} MiB ratio={growth:.2f} "
            f"floor=peak RSS of the same send to {small:,} recipients"
        )
        if growth > MAX_MEMORY_GROWTH:
            raise SystemExit(
                f"Worker memory grew {growth:.2f} times from {small:,} to {large:,} recipients."
            )
    finally:
        sink.terminate()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
