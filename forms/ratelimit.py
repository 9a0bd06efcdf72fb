"""Fixed-window counters for public form submissions, in Redis when it is configured.

Without REDIS_URL (the embedded demo) the counters live in Django's cache,
which is per process: with several web processes each one counts alone.
"""

import threading

import redis
from django.conf import settings
from django.core.cache import cache

# (max submissions, window in seconds). Per IP and form: a person at a
# kiosk signing up visitors stays far below ten a minute. Per form: ten a
# second is well above a busy campaign's peak and bounds a flood spread
# over many addresses. Settings may replace either, or None turns them off.
DEFAULT_LIMITS: dict[str, tuple[int, int] | None] = {
    "per_ip": (10, 60),
    "per_form": (600, 60),
}

_client: redis.Redis | None = None
_client_lock = threading.Lock()


def _redis() -> redis.Redis | None:
    global _client
    if not settings.REDIS_URL:
        return None
    with _client_lock:
        if _client is None:
            _client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)
    return _client


def limits() -> dict[str, tuple[int, int] | None]:
    return {**DEFAULT_LIMITS, **getattr(settings, "FORMS_RATE_LIMITS", {})}


def _count(key: str, window: int) -> int:
    client = _redis()
    if client is None:
        cache.add(key, 0, timeout=window)
        try:
            return cache.incr(key)
        except ValueError:
            # The entry expired between add and incr.
            cache.set(key, 1, timeout=window)
            return 1
    # SET NX starts the window with its expiry, so every key expires even
    # if a process dies between the two commands.
    pipeline = client.pipeline()
    pipeline.set(key, 0, ex=window, nx=True)
    pipeline.incr(key)
    _created, count = pipeline.execute()
    return int(count)


def allow_submission(form_id: int, ip_address: str | None) -> bool:
    """Count one submission attempt; return False when a limit is already reached."""
    configured = limits()
    checks = []
    if configured.get("per_ip") and ip_address:
        checks.append((f"forms:rate:ip:{form_id}:{ip_address}", configured["per_ip"]))
    if configured.get("per_form"):
        checks.append((f"forms:rate:form:{form_id}", configured["per_form"]))
    allowed = True
    for key, (maximum, window) in checks:  # type: ignore[misc]
        if _count(key, window) > maximum:
            allowed = False
    return allowed
